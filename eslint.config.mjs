// Lint rules for the whole workspace. The module-boundary rule is what keeps
// the architecture honest: apps never import apps, the pure libs never
// import NATS, Postgres, gRPC or the OpenTelemetry SDK, and each process
// imports only what its scope holds.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioPackages = ['nats', '@nats-io/*', 'pg', 'pg-*', '@grpc/*', '@opentelemetry/sdk-*', '@opentelemetry/exporter-*'];
const postgresPackages = ['pg', 'pg-*', '@electric-sql/*'];
const automergePackages = ['@automerge/*'];

// What a kind of project may import.
const typeConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:protocol', 'type:infra'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:protocol', 'type:domain'] },
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain', 'type:protocol'],
    bannedExternalImports: ioPackages,
  },
  {
    sourceTag: 'type:protocol',
    onlyDependOnLibsWithTags: ['type:protocol'],
    bannedExternalImports: ['nats', '@nats-io/*', 'pg', '@opentelemetry/sdk-*'],
  },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:infra', 'type:protocol', 'type:domain'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:protocol', 'type:testing'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:protocol', 'type:testing', 'type:infra'] },
];

// Which process may hold what (docs/ARCHITECTURE.md): the Automerge document
// lives in the backend (the compactor builds snapshots of it), Postgres is
// reached by the persister, the compactor and the ops tools only, and the
// frontends hold neither.
const scopeConstraints = [
  {
    sourceTag: 'scope:frontend',
    onlyDependOnLibsWithTags: ['scope:frontend', 'scope:shared'],
    bannedExternalImports: [...automergePackages, ...postgresPackages],
  },
  { sourceTag: 'scope:backend', onlyDependOnLibsWithTags: ['scope:backend', 'scope:shared'], bannedExternalImports: postgresPackages },
  { sourceTag: 'scope:persistence', onlyDependOnLibsWithTags: ['scope:persistence', 'scope:shared'], bannedExternalImports: automergePackages },
  { sourceTag: 'scope:compaction', onlyDependOnLibsWithTags: ['scope:compaction', 'scope:persistence', 'scope:backend', 'scope:shared'] },
  { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: ['scope:ops', 'scope:persistence', 'scope:shared'], bannedExternalImports: automergePackages },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: automergePackages },
  { allSourceTags: ['scope:shared', 'type:infra'], bannedExternalImports: postgresPackages },
];

// Specs may also use the test launchers (real NATS, Postgres, etcd) rather
// than carry copies of them.
const specTypeConstraints = typeConstraints.map((c) =>
  ['type:app', 'type:infra', 'type:domain', 'type:protocol'].includes(c.sourceTag)
    ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] }
    : c,
);

function moduleBoundaries(depConstraints) {
  return ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints: [...depConstraints, ...scopeConstraints] }];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '.nx/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Export names explicitly.' }],
      '@nx/enforce-module-boundaries': moduleBoundaries(typeConstraints),
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(specTypeConstraints),
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] }] },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
