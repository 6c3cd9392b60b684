import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readAppFlags, readLogLevel } from '@eckd/service-kit';
import { persisterFlags, readPersisterConfig } from './config.js';

const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };
const read = (argv: string[], extra: Record<string, string> = {}) => readAppFlags(argv, { ...env, ...extra }, persisterFlags);

describe('persister command line', () => {
  test('an unknown flag is refused by name; the backend\'s --quota-backend-bytes too', () => {
    assert.throws(() => read(['--bogus']), (err: unknown) => err instanceof ConfigError && /unknown flag --bogus/.test(err.message));
    assert.throws(() => read(['--quota-backend-bytes', '1']), /unknown flag --quota-backend-bytes/);
  });

  test('--name over ECKD_NODE_NAME, --log-level over ECKD_LOG_LEVEL; --listen-metrics-urls and --version are taken', () => {
    assert.equal(readPersisterConfig(read(['--name=n1'], { ECKD_NODE_NAME: 'other' })).nodeName, 'n1');
    assert.equal(readPersisterConfig(read([], { ECKD_NODE_NAME: 'other' })).nodeName, 'other');
    assert.equal(readLogLevel(read(['--log-level', 'error'], { ECKD_LOG_LEVEL: 'debug' })), 'error');
    const flags = read(['--listen-metrics-urls', 'http://127.0.0.1:1', '--version']);
    assert.equal(flags.text('listen-metrics-urls'), 'http://127.0.0.1:1');
    assert.equal(flags.has('version'), true);
  });
});
