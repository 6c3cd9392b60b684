import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readAppFlags, readLogLevel } from '@eckd/service-kit';
import { frontendFlags, readFrontendConfig } from './config.js';

const read = (argv: string[], env: Record<string, string> = {}) => readAppFlags(argv, env, frontendFlags);

describe('etcd-api command line', () => {
  test("an unknown flag is refused by name; the backend's --quota-backend-bytes too", () => {
    assert.throws(() => read(['--bogus']), (err: unknown) => err instanceof ConfigError && /unknown flag --bogus/.test(err.message));
    assert.throws(() => read(['--quota-backend-bytes', '1']), /unknown flag --quota-backend-bytes/);
  });

  test('the service flags sit beside its own: --name over ECKD_NODE_NAME, --log-level, --max-txn-ops', () => {
    const flags = read(['--name', 'n1', '--log-level=warn', '--max-txn-ops', '64', '--listen-metrics-urls', 'http://127.0.0.1:1'], { ECKD_NODE_NAME: 'other' });
    const config = readFrontendConfig(flags);
    assert.equal(config.nodeName, 'n1');
    assert.equal(config.maxTxnOps, 64);
    assert.equal(readLogLevel(flags), 'warn');
    assert.equal(readFrontendConfig(read([], { ECKD_NODE_NAME: 'other' })).nodeName, 'other');
  });
});
