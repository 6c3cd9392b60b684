// Builds one nx project with esbuild: an app becomes one ESM bundle
// (dist/main.js, and dist/<name>.worker.js per src/<name>.worker.ts) with
// the workspace libs inlined and npm packages left
// external; a lib becomes dist/index.js with everything external.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const projectRoot = process.argv[2];
if (!projectRoot) {
  console.error('usage: build-project.mjs <projectRoot>');
  process.exit(2);
}
const root = resolve(projectRoot);
const isApp = projectRoot.startsWith('apps/') || projectRoot.startsWith('tools/');
const entry = ['src/main.ts', 'src/index.ts'].map((p) => join(root, p)).find((p) => existsSync(p));
if (!entry) {
  console.error(`build-project: ${projectRoot} has no src/main.ts or src/index.ts`);
  process.exit(2);
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
// An app's worker threads (src/*.worker.ts) are bundled beside its main.js.
const workers = isApp ? readdirSync(join(root, 'src')).filter((f) => f.endsWith('.worker.ts')).map((f) => join(root, 'src', f)) : [];

/** Keeps npm packages external; workspace libs are inlined into app bundles. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isApp && args.path.startsWith('@eckd/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: [entry, ...workers],
  outdir: join(root, 'dist'),
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  conditions: ['@eckd/source'],
  plugins: [externalPackages],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __eckdCreateRequire } from 'node:module'; const require = __eckdCreateRequire(import.meta.url);" },
});
