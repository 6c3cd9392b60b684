import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAppFlags, serviceFlags } from './app-flags.js';
import { ConfigError, envInt, envString, parseFlags, readNatsSettings, readServiceBaseConfig } from './config.js';

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
    const config = readServiceBaseConfig(readAppFlags([], {}, serviceFlags));
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      nats: { servers: 'nats://127.0.0.1:4222', auth: 'none', tls: false, inboxPrefix: '_INBOX' },
      subjectPrefix: 'eckd',
      nodeName: 'default',
    });
  });
});

describe('NATS settings', () => {
  test('user and password reach connect() but never a log line', () => {
    const settings = readNatsSettings({ NATS_URL: 'nats://u:urlsecret@127.0.0.1:4222', NATS_USER: 'backend', NATS_PASSWORD: 'secret' });
    const logged = JSON.stringify({ config: settings });
    assert.equal(logged.includes('secret'), false, logged);
    assert.match(logged, /"auth":"user"/);
    const options = settings.connectOptions();
    assert.equal(options.user, 'backend');
    assert.equal(options.pass, 'secret');
  });

  test('token, nkey seed file, creds file; files must exist', () => {
    assert.equal(readNatsSettings({ NATS_TOKEN: 't' }).auth, 'token');
    const dir = mkdtempSync(join(tmpdir(), 'eckd-nats-settings-'));
    try {
      const seed = join(dir, 'seed.nk');
      writeFileSync(seed, 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n');
      const nkey = readNatsSettings({ NATS_NKEY: seed });
      assert.equal(nkey.auth, 'nkey');
      assert.equal(typeof nkey.connectOptions().authenticator, 'function');
      assert.throws(() => readNatsSettings({ NATS_CREDS: join(dir, 'missing.creds') }), /NATS_CREDS: file .* does not exist/);
      assert.throws(() => readNatsSettings({ NATS_CA: join(dir, 'missing.pem') }), /NATS_CA: file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one kind of credentials; TLS from tls:// or files; inbox prefix checked', () => {
    assert.throws(() => readNatsSettings({ NATS_USER: 'a', NATS_TOKEN: 't' }), /give one of NATS_USER, NATS_TOKEN/);
    assert.throws(() => readNatsSettings({ NATS_PASSWORD: 'p' }), /without NATS_USER/);
    assert.equal(readNatsSettings({ NATS_URL: 'tls://127.0.0.1:4222' }).tls, true);
    assert.deepEqual(readNatsSettings({ NATS_URL: 'tls://127.0.0.1:4222' }).connectOptions().tls, {});
    assert.equal(readNatsSettings({ NATS_INBOX_PREFIX: '_INBOX.backend' }).inboxPrefix, '_INBOX.backend');
    assert.throws(() => readNatsSettings({ NATS_INBOX_PREFIX: '_INBOX.>' }), /NATS_INBOX_PREFIX/);
  });
});
