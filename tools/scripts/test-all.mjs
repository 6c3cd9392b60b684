// `npm test`: builds every project (the integration tests run the built
// apps), then runs every spec file of the workspace in one test run that
// ends with the line `N passed, N failed`.
import { execFileSync } from 'node:child_process';
import { findSpecs } from './find-specs.mjs';
import { runSpecs } from './run-specs.mjs';

try {
  execFileSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], { stdio: 'inherit' });
} catch {
  // A failed build is a failed run: say so in the line CI reads.
  console.log('\nbuild failed\n0 passed, 1 failed');
  process.exit(1);
}
const files = findSpecs(['apps', 'libs', 'tools']);
process.exit(await runSpecs(files, { concurrency: Number(process.env.ECKD_TEST_CONCURRENCY ?? 2) }));
