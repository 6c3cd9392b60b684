import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAppFlags, readLogLevel, serviceFlags } from './app-flags.js';
import { ConfigError, readServiceBaseConfig } from './config.js';

describe('app flags', () => {
  test('an unknown flag or a stray argument is a ConfigError naming it', () => {
    assert.throws(() => readAppFlags(['--bogus'], {}, serviceFlags), (err: unknown) => err instanceof ConfigError && err.message === 'unknown flag --bogus');
    assert.throws(() => readAppFlags(['--log-level=info', '--data-dir', '/x'], {}, serviceFlags), /unknown flag --data-dir/);
    assert.throws(() => readAppFlags(['stray'], {}, serviceFlags), /unexpected argument "stray"/);
  });

  test('a flag that takes a value must have one; only boolean flags stand bare', () => {
    assert.throws(() => readAppFlags(['--name'], {}, serviceFlags), /^ConfigError: flag needs an argument: --name$/);
    assert.throws(() => readAppFlags(['--log-level', '--version'], {}, serviceFlags), /flag needs an argument: --log-level/);
    assert.equal(readAppFlags(['--version'], {}, serviceFlags).text('version'), 'true');
    assert.equal(readAppFlags(['--client-cert-auth'], {}, ['client-cert-auth']).text('client-cert-auth'), 'true');
  });

  test('the flag wins over its variable; a blank variable is unset', () => {
    const flags = readAppFlags(['--name=n1'], { ECKD_NODE_NAME: 'env-name', ECKD_X: '  ' }, serviceFlags);
    assert.equal(flags.text('name', 'ECKD_NODE_NAME'), 'n1');
    assert.equal(readServiceBaseConfig(flags).nodeName, 'n1');
    assert.equal(readServiceBaseConfig(readAppFlags([], { ECKD_NODE_NAME: 'env-name' }, serviceFlags)).nodeName, 'env-name');
    assert.equal(flags.text('log-level', 'ECKD_X'), undefined);
    assert.equal(flags.has('version'), false);
    assert.equal(readAppFlags(['--version'], {}, serviceFlags).has('version'), true);
  });

  test('an integer setting names where its bad value came from', () => {
    const known = ['quota-backend-bytes'];
    assert.equal(readAppFlags(['--quota-backend-bytes', '-1'], { Q: '5' }, known).int('quota-backend-bytes', 'Q', 0), -1);
    assert.equal(readAppFlags([], { Q: '5' }, known).int('quota-backend-bytes', 'Q', 0), 5);
    assert.equal(readAppFlags([], {}, known).int('quota-backend-bytes', 'Q', 7), 7);
    assert.throws(() => readAppFlags(['--quota-backend-bytes=big'], {}, known).int('quota-backend-bytes', 'Q', 0), /^ConfigError: --quota-backend-bytes must be an integer, got "big"$/);
    assert.throws(() => readAppFlags([], { Q: 'big' }, known).int('quota-backend-bytes', 'Q', 0), /^ConfigError: Q must be an integer/);
  });

  test("--log-level (ECKD_LOG_LEVEL) takes etcd's debug, info, warn, error; anything else is refused", () => {
    assert.equal(readLogLevel(readAppFlags([], {}, serviceFlags)), 'info');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) assert.equal(readLogLevel(readAppFlags(['--log-level', level], {}, serviceFlags)), level);
    assert.equal(readLogLevel(readAppFlags([], { ECKD_LOG_LEVEL: 'warn' }, serviceFlags)), 'warn');
    assert.equal(readLogLevel(readAppFlags(['--log-level=debug'], { ECKD_LOG_LEVEL: 'warn' }, serviceFlags)), 'debug');
    assert.throws(() => readLogLevel(readAppFlags(['--log-level', 'loud'], {}, serviceFlags)), /must be one of debug, info, warn, error, got "loud"/);
    assert.throws(() => readLogLevel(readAppFlags([], { ECKD_LOG_LEVEL: 'INFO' }, serviceFlags)), ConfigError);
  });
});
