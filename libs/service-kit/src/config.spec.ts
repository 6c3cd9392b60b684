import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, envInt, envString, parseFlags, readServiceBaseConfig } from './config.js';

describe('config', () => {
  test('flags in both etcd styles, booleans, unknown flags rejected', () => {
    const f = parseFlags(['--name', 'n1', '--listen-client-urls=http://127.0.0.1:1', '--debug'], ['name', 'listen-client-urls', 'debug']);
    assert.equal(f.get('name'), 'n1');
    assert.equal(f.get('listen-client-urls'), 'http://127.0.0.1:1');
    assert.equal(f.get('debug'), 'true');
    assert.throws(() => parseFlags(['--nope'], ['name']), ConfigError);
    assert.throws(() => parseFlags(['stray'], ['name']), /unexpected argument/);
  });

  test('env values are validated', () => {
    assert.equal(envInt({ X: '5' }, 'X', 1, { min: 1 }), 5);
    assert.equal(envInt({}, 'X', 7), 7);
    assert.throws(() => envInt({ X: 'five' }, 'X', 1), /must be an integer/);
    assert.throws(() => envInt({ X: '0' }, 'X', 1, { min: 1 }), /must be >= 1/);
    assert.throws(() => envString({}, 'DATABASE_URL'), /DATABASE_URL is required/);
  });

  test('service defaults', () => {
    assert.deepEqual(readServiceBaseConfig({}), { natsUrl: 'nats://127.0.0.1:4222', subjectPrefix: 'eckd', nodeName: 'default' });
  });
});
