// Every package an app bundle loads must be in what a production install
// of that app lays out (production-tree.ts), resolvable from the bundle's
// folder: an image has nothing else.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePackages } from './bundle-imports.js';
import type { DeployedApp } from './deployed-apps.js';
import { productionTree } from './production-tree.js';

export interface BundleReport {
  readonly problems: string[];
  /** The workspace libs the bundle reads files of at run time (their .proto files). */
  readonly runtimeLibs: string[];
}

export function checkBundle(repoRoot: string, app: DeployedApp): BundleReport {
  const dist = `apps/${app}/dist`;
  if (!existsSync(join(repoRoot, dist, 'main.js'))) return { problems: [`${dist}/main.js does not exist: build first`], runtimeLibs: [] };
  const tree = productionTree(repoRoot, `apps/${app}`);
  const problems: string[] = [];
  const runtimeLibs: string[] = [];
  for (const name of bundlePackages(join(repoRoot, dist))) {
    const found = tree.resolve(name, dist);
    if (found === undefined) problems.push(`${dist} loads ${name}, which a production install of apps/${app} does not provide (add it to apps/${app}/package.json)`);
    else if (found.startsWith('libs/')) runtimeLibs.push(found);
  }
  return { problems, runtimeLibs };
}
