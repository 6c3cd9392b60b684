import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const reporter = fileURLToPath(new URL('./summary-reporter.mjs', import.meta.url));

/** Runs node's test runner on the given files with only the summary reporter; resolves its stdout. */
function runWithSummary(dir: string, files: string[]): Promise<string> {
  const args = ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', ...files];
  // Without NODE_TEST_CONTEXT, which would make that runner report to this one instead of printing.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return new Promise((resolve) => execFile(process.execPath, args, { cwd: dir, env }, (_err, stdout) => resolve(stdout)));
}

test('the closing line counts tests; a file that fails outside its tests is named above it with its notes and stderr', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eckd-summary-'));
  try {
    await writeFile(join(dir, 'ok.test.mjs'), "import { test } from 'node:test';\ntest('a', () => {});\ntest('b', { skip: true }, () => {});\n");
    await writeFile(join(dir, 'fails.test.mjs'), "import { test } from 'node:test';\ntest('c', () => { throw new Error('plain'); });\n");
    await writeFile(
      join(dir, 'late.test.mjs'),
      "import { test } from 'node:test';\ntest('d', () => { console.error('written before the end'); setTimeout(() => { throw new Error('late boom'); }, 20); });\n",
    );
    await writeFile(join(dir, 'exits.test.mjs'), "import { test, after } from 'node:test';\ntest('e', () => {});\nafter(() => setTimeout(() => process.exit(3), 10));\n");
    const out = await runWithSummary(dir, ['ok.test.mjs', 'fails.test.mjs', 'late.test.mjs', 'exits.test.mjs']);
    const lines = out.trimEnd().split('\n');
    // a, d, e pass; c fails, and so do the two files that failed outside their tests.
    assert.equal(lines.at(-1), '3 passed, 3 failed, 1 skipped');
    assert.match(out, /late\.test\.mjs failed outside its tests/);
    assert.match(out, /note: .*late boom/);
    assert.match(out, /written before the end/);
    assert.match(out, /exits\.test\.mjs failed outside its tests/);
    assert.doesNotMatch(out, /fails\.test\.mjs failed outside/, 'a file whose test failed is counted by that test');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
