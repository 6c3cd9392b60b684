// Runs spec files with node's test runner, TypeScript through tsx and the
// workspace libs resolved to their sources. Exits with the runner's code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const summary = fileURLToPath(new URL('./summary-reporter.mjs', import.meta.url));

export function runSpecs(files, { concurrency = 2 } = {}) {
  if (files.length === 0) {
    console.log('no spec files\n0 passed, 0 failed');
    return Promise.resolve(0);
  }
  const args = [
    '--import', 'tsx',
    '--conditions=@eckd/source',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${summary}`, '--test-reporter-destination=stdout',
    ...files,
  ];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
