// The module-boundary rule of eslint.config.mjs, run through ESLint's Node
// API on in-memory files: imports that break a scope are reported, allowed
// ones are not. Only that rule runs (no type information), so this is quick.
// The rule reads nx's cached project graph (and skips itself without one),
// so the graph is computed first.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { createProjectGraphAsync } from '@nx/devkit';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const boundaryRule = '@nx/enforce-module-boundaries';
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === boundaryRule,
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('lint boundaries', () => {
  before(async () => {
    await createProjectGraphAsync({ exitOnError: false });
  });

  test('the frontend may not import Automerge or the storage lib', async () => {
    const errors = await boundaryErrors(
      'apps/etcd-api/src/boundary-probe.ts',
      "import { next } from '@automerge/automerge';\nimport { createPool } from '@eckd/storage';\nexport const used = [next, createPool];\n",
    );
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0]!, /enforce-module-boundaries: .*scope:frontend.*not allowed to import "@automerge\/automerge"/);
    assert.match(errors[1]!, /enforce-module-boundaries: .*scope:frontend.*can only depend on/);
  });

  test('the backend may not import pg; the persister may', async () => {
    const code = "import pg from 'pg';\nexport const used = pg;\n";
    assert.match((await boundaryErrors('apps/backend/src/boundary-probe.ts', code)).join('\n'), /scope:backend.*not allowed to import "pg"/);
    assert.deepEqual(await boundaryErrors('apps/persister/src/boundary-probe.ts', code), []);
  });

  test('a spec of an infra lib may use the test launchers; its source may not', async () => {
    const code = "import { startNatsServer } from '@eckd/testing';\nexport const used = startNatsServer;\n";
    assert.deepEqual(await boundaryErrors('libs/service-kit/src/boundary-probe.spec.ts', code), []);
    assert.equal((await boundaryErrors('libs/service-kit/src/boundary-probe.ts', code)).length, 1);
  });
});
