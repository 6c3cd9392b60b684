// What `npm ci --omit=dev --workspace=<app>` installs, read from
// package-lock.json: the app's production dependencies, theirs, and those
// of the workspace libs they link, at the paths npm lays them out. Resolving
// a package from a directory walks up its node_modules folders as Node does.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface ProductionTree {
  /** Lock paths installed (`node_modules/x`, `apps/a`, `libs/l`). */
  readonly installed: ReadonlySet<string>;
  /** The lock path of `name` as Node resolves it from `fromDir` (repo-relative), if installed. */
  resolve(name: string, fromDir: string): string | undefined;
}

export function productionTree(repoRoot: string, workspaceDir: string): ProductionTree {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages = lock.packages;
  const lookup = (name: string, fromDir: string): string | undefined => {
    for (let dir = fromDir; ; dir = dirname(dir)) {
      const candidate = dir === '.' || dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      const entry = packages[candidate];
      if (entry !== undefined) return entry.link && entry.resolved !== undefined ? entry.resolved : candidate;
      if (dir === '.' || dir === '' || dir === '/') return undefined;
    }
  };
  const installed = new Set<string>();
  const visit = (path: string): void => {
    if (installed.has(path)) return;
    const entry = packages[path];
    if (entry === undefined || entry.dev === true) return;
    installed.add(path);
    const wanted = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const name of Object.keys(wanted)) {
      const found = lookup(name, path);
      if (found !== undefined) visit(found);
    }
  };
  visit(workspaceDir);
  return {
    installed,
    resolve: (name, fromDir) => {
      const found = lookup(name, fromDir);
      return found !== undefined && installed.has(found) ? found : undefined;
    },
  };
}
