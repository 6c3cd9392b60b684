// Lint rules for the whole workspace. The module-boundary rule is what keeps
// the architecture honest: apps never import apps, and the pure libs never
// import NATS, Postgres, gRPC or the OpenTelemetry SDK.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const ioPackages = ['nats', '@nats-io/*', 'pg', 'pg-*', '@grpc/*', '@opentelemetry/sdk-*', '@opentelemetry/exporter-*'];

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
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
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
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
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
