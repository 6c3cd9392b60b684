// Each built app reads its command line strictly before it connects to
// anything: an unknown flag or a bad --log-level ends it at once with a
// ConfigError naming the flag (no NATS or Postgres needed to see it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtAppMain } from '@eckd/testing';

const apps = ['etcd-api', 'backend', 'persister', 'compactor'];
// Nothing listens there: should an app get past its command line, it fails rather than waits.
const env = { ...process.env, NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };

function run(app: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [builtAppMain(app), ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('command line', () => {
  test('node apps/<app>/dist/main.js --bogus exits 1 with "unknown flag --bogus"', () => {
    for (const app of apps) {
      const { status, out } = run(app, ['--bogus']);
      assert.equal(status, 1, `${app}: ${out}`);
      const line = JSON.parse(out.trim().split('\n')[0]!) as { level: string; service: string; msg: string; err: { name: string; message: string } };
      assert.deepEqual([line.level, line.service, line.msg, line.err], ['error', app, 'start-up failed', { name: 'ConfigError', message: 'unknown flag --bogus' }]);
    }
  });

  test('a bad --log-level is refused the same way, the flag winning over ECKD_LOG_LEVEL', () => {
    const { status, out } = run('backend', ['--log-level', 'loud']);
    assert.equal(status, 1, out);
    assert.match(out, /--log-level \(ECKD_LOG_LEVEL\) must be one of debug, info, warn, error, got \\"loud\\"/);
  });

  test("a backend with peers refuses a bad setting of the coordinated cut (ECKD_CUT_*) before it connects", () => {
    const peers = { ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_NODE_NAME: 'node1' };
    const refused: [Record<string, string>, RegExp][] = [
      [{ ECKD_CUT_ROUNDS_MAX: '0' }, /"msg":"start-up failed".*ECKD_CUT_ROUNDS_MAX must be >= 1, got 0/],
      [{ ECKD_CUT_WITH_PEERS: 'on' }, /"msg":"start-up failed".*ECKD_CUT_WITH_PEERS=on: true or false/],
      [{ ECKD_CUT_LAGGARD_HOLD_MS: '10' }, /"msg":"start-up failed".*ECKD_CUT_LAGGARD_HOLD_MS must be >= 1000, got 10/],
      [{ ECKD_CUT_CATCH_UP_MS: '0' }, /"msg":"start-up failed".*ECKD_CUT_CATCH_UP_MS must be >= 100, got 0/],
    ];
    for (const [setting, message] of refused) {
      const r = spawnSync(process.execPath, [builtAppMain('backend')], { encoding: 'utf8', env: { ...env, ...peers, ...setting }, timeout: 60_000 });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, message);
    }
  });
});
