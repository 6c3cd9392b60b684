// Runs an image's start command against the built app on this machine (the
// image lays the repository out the same way under its WORKDIR), with a
// configuration that fails validation at once: the bundle and every package
// it loads are found, and the app gets as far as checking its settings.
import { execFile } from 'node:child_process';
import type { ImageStart } from './docker-check.js';

const startTimeoutMs = 60_000;
/** A credentials file that does not exist: every app refuses it before connecting anywhere. */
const failingEnv = { NATS_CREDS: '/nonexistent/eckd-deploy-check.creds', OTEL_TRACES_EXPORTER: 'console' };

export async function checkStartCommand(repoRoot: string, start: ImageStart): Promise<string[]> {
  const [command, ...args] = start.argv;
  if (command !== 'node') return [`start command ${JSON.stringify(start.argv)} is not node`];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: repoRoot, env: { PATH: process.env['PATH'], ...failingEnv }, timeout: startTimeoutMs },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, output: `${stdout}${stderr}` }),
    );
  });
  const refused = /"name":"ConfigError","message":"NATS_CREDS: file .*? does not exist"/.test(output);
  if (code === 0 || !refused) return [`${start.argv.join(' ')} (in ${start.workdir}) did not start and refuse a bad NATS_CREDS (exit ${code}):\n${output.slice(0, 2000)}`];
  return [];
}
