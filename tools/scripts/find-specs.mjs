// Lists the *.spec.ts files under the given directories (sorted), skipping
// node_modules and dist.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export function findSpecs(dirs) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.spec.ts')) out.push(p);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return out.sort();
}
