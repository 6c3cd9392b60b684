// The npm packages a built app bundle loads at run time: its static and
// dynamic imports, `require`s (the OpenTelemetry SDK is required lazily)
// and `require.resolve`d package files (the .proto files of the libs).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// `from "x"` and `import "x"` / `import("x")` (not `Buffer.from("x")`),
// `require("x")` and its aliases, `require.resolve("x/file")`.
const specifierPattern = /(?:(?<![.\w$])from\s*|(?<![.\w$])import\s*\(?\s*|\brequire\w*\(\s*|\.resolve\(\s*)["']([^"'.\/][^"']*)["']/g;

/** Package names (`@scope/name` or `name`) loaded by `<dist>/*.js`, sorted; node builtins left out. */
export function bundlePackages(distDir: string): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(distDir).filter((f) => f.endsWith('.js'))) {
    const source = readFileSync(join(distDir, file), 'utf8');
    for (const match of source.matchAll(specifierPattern)) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:')) continue;
      names.add(packageName(specifier));
    }
  }
  return [...names].sort();
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
