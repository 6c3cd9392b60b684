import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import { runHealthChecks } from './health-checks.js';
import { readAppFlags, serviceFlags } from '../app-flags.js';
import { readOpsConfig as readOpsConfigOf } from './ops-config.js';
import { eckdVersion, etcdVersions, readEmulatedEtcdVersion, versionText } from './versions.js';

const readOpsConfig = (argv: string[], env: Record<string, string>) => readOpsConfigOf(readAppFlags(argv, env, serviceFlags));

describe('ops', () => {
  test("health checks: etcd 3.6's lines, in registration order; a silent check fails with its deadline", async () => {
    const checks = {
      a: () => Promise.resolve(),
      b: () => Promise.reject(new Error('etcdserver: request timed out')),
      c: () => new Promise<void>(() => undefined),
    };
    const report = await runHealthChecks(checks, ['a', 'b', 'c'], 50);
    assert.equal(report.ok, false);
    assert.equal(report.text, '[+]a ok\n[-]b failed: etcdserver: request timed out\n[-]c failed: no answer within 50 ms\n');
    assert.equal(report.firstFailure, 'etcdserver: request timed out');
    assert.deepEqual(await runHealthChecks(checks, ['a'], 50), { ok: true, text: '[+]a ok\n', firstFailure: undefined });
  });

  test('config: --listen-metrics-urls (either form) over ECKD_LISTEN_METRICS_URLS; empty is off; only http://host:port', () => {
    assert.deepEqual(readOpsConfig([], {}).listenMetricsUrls, []);
    assert.deepEqual(readOpsConfig(['--listen-metrics-urls', 'http://127.0.0.1:9000,http://[::1]:9001'], { ECKD_LISTEN_METRICS_URLS: 'http://x:1' }).listenMetricsUrls, [
      { host: '127.0.0.1', port: 9000 },
      { host: '::1', port: 9001 },
    ]);
    assert.deepEqual(readOpsConfig(['--name', 'n', '--listen-metrics-urls=http://0.0.0.0:2381'], {}).listenMetricsUrls, [{ host: '0.0.0.0', port: 2381 }]);
    assert.deepEqual(readOpsConfig([], { ECKD_LISTEN_METRICS_URLS: 'http://localhost:2381' }).listenMetricsUrls, [{ host: 'localhost', port: 2381 }]);
    assert.throws(() => readOpsConfig(['--listen-metrics-urls', 'https://127.0.0.1:1'], {}), /only http:\/\//);
    assert.throws(() => readOpsConfig(['--listen-metrics-urls', 'http://127.0.0.1'], {}), /must be http:\/\/host:port/);
    assert.throws(() => readOpsConfig(['--listen-metrics-urls', 'nonsense'], {}), ConfigError);
    assert.equal(readOpsConfig([], {}).healthCheckTimeoutMs, 5000);
    assert.equal(readOpsConfig([], {}).connectionsMax, 64);
    assert.throws(() => readOpsConfig([], { ECKD_OPS_CONNECTIONS_MAX: '0' }), ConfigError);
    assert.throws(() => readOpsConfig([], { ECKD_HEALTH_CHECK_TIMEOUT_MS: '0' }), ConfigError);
  });

  test("versions: eckd's is package.json's; the emulated etcd version is 3.6.0 unless set, and /version's JSON follows it", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(eckdVersion, pkg.version);
    assert.equal(readEmulatedEtcdVersion({}), '3.6.0');
    assert.equal(readEmulatedEtcdVersion({ ECKD_EMULATED_ETCD_VERSION: '3.5.17' }), '3.5.17');
    assert.throws(() => readEmulatedEtcdVersion({ ECKD_EMULATED_ETCD_VERSION: 'v3.6' }), ConfigError);
    assert.deepEqual(etcdVersions('3.6.4'), { etcdserver: '3.6.4', etcdcluster: '3.6.0', storage: '3.6.0' });
    assert.match(versionText('backend', '3.6.0'), /^eckd backend Version: \d+\.\d+\.\d+\netcd Version: 3\.6\.0 \(emulated\)\nNode Version: v\d+/);
  });
});
