import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readAppFlags } from '@eckd/service-kit';
import { backendFlags, readBackendConfig } from './config.js';
import { quotaBackendBytesDefault, readMaintenanceConfig } from './maintenance-config.js';

const read = (argv: string[], env: Record<string, string> = {}) => readAppFlags(argv, env, backendFlags);

describe('backend command line', () => {
  test('an unknown flag is refused by name; etcd-api-only flags too', () => {
    assert.throws(() => read(['--bogus']), (err: unknown) => err instanceof ConfigError && /unknown flag --bogus/.test(err.message));
    assert.throws(() => read(['--listen-client-urls', 'http://127.0.0.1:1']), /unknown flag --listen-client-urls/);
  });

  test('ECKD_APPENDS_IN_FLIGHT_MAX: 1 by default, 1 to 64', () => {
    assert.equal(readBackendConfig(read([])).appendsInFlightMax, 1);
    assert.equal(readBackendConfig(read([], { ECKD_APPENDS_IN_FLIGHT_MAX: '2' })).appendsInFlightMax, 2);
    assert.throws(() => readBackendConfig(read([], { ECKD_APPENDS_IN_FLIGHT_MAX: '0' })), ConfigError);
    assert.throws(() => readBackendConfig(read([], { ECKD_APPENDS_IN_FLIGHT_MAX: '65' })), ConfigError);
  });

  test('--quota-backend-bytes over ECKD_QUOTA_BACKEND_BYTES: 0 is the 2 GiB default, negative is no quota', () => {
    assert.equal(readMaintenanceConfig(read([])).quotaBytes, quotaBackendBytesDefault);
    assert.equal(readMaintenanceConfig(read(['--quota-backend-bytes', '1048576'])).quotaBytes, 1048576);
    assert.equal(readMaintenanceConfig(read(['--quota-backend-bytes=1048576'], { ECKD_QUOTA_BACKEND_BYTES: '5' })).quotaBytes, 1048576);
    assert.equal(readMaintenanceConfig(read([], { ECKD_QUOTA_BACKEND_BYTES: '4096' })).quotaBytes, 4096);
    assert.equal(readMaintenanceConfig(read(['--quota-backend-bytes', '0'])).quotaBytes, quotaBackendBytesDefault);
    assert.equal(readMaintenanceConfig(read(['--quota-backend-bytes=-1'])).quotaBytes, 0);
    assert.throws(() => readMaintenanceConfig(read(['--quota-backend-bytes', '2GB'])), /--quota-backend-bytes must be an integer/);
  });

  test('--name over ECKD_NODE_NAME; --log-level, --listen-metrics-urls and --version are taken', () => {
    assert.equal(readBackendConfig(read(['--name', 'n1'], { ECKD_NODE_NAME: 'other' })).nodeName, 'n1');
    assert.equal(readBackendConfig(read([], { ECKD_NODE_NAME: 'other' })).nodeName, 'other');
    const flags = read(['--log-level', 'debug', '--listen-metrics-urls', 'http://127.0.0.1:1', '--version']);
    assert.equal(flags.text('log-level'), 'debug');
    assert.equal(flags.has('version'), true);
  });
});
