// connectNats with the settings read from the environment, against a real
// nats-server that requires TLS and credentials.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import { startNatsServer } from '@eckd/testing';
import type { NatsServer } from '@eckd/testing';
import { readNatsSettings } from './config.js';
import { createLogger } from './logger.js';
import { NatsMessenger } from './messenger.js';
import { connectNats } from './nats.js';
import type { NatsConnection } from './nats.js';

let dir: string;
let server: NatsServer;
let url: string;
const userSeed = nkeys.createUser();
const connections: NatsConnection[] = [];
const log = createLogger('nats-spec', { level: 'error' });

function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=eckd-test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  // The node client checks an IP URL's certificate against the name "localhost".
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eckd-nats-tls-'));
  makeCertificates();
  writeFileSync(join(dir, 'user.nk'), `${new TextDecoder().decode(userSeed.getSeed())}\n`);
  server = await startNatsServer({
    jetstream: false,
    config: [
      `tls { cert_file: "${join(dir, 'server.pem')}", key_file: "${join(dir, 'server.key')}" }`,
      'authorization { users: [',
      '  { user: "svc", password: "s3cret", permissions: { publish: { allow: ["echo", "_INBOX.>"] }, subscribe: { allow: ["echo", "_INBOX.svc.>"] } } }',
      `  { nkey: "${userSeed.getPublicKey()}" }`,
      '] }',
    ].join('\n'),
  });
  url = `tls://127.0.0.1:${server.port}`;
});

after(async () => {
  await Promise.allSettled(connections.map((nc) => nc.close()));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connectWith(env: Record<string, string>): Promise<NatsConnection> {
  const nc = await connectNats(readNatsSettings({ NATS_URL: url, NATS_CA: join(dir, 'ca.pem'), ...env }), 'nats-spec', log);
  connections.push(nc);
  return nc;
}

describe('connectNats', () => {
  test('TLS with a user and password; replies arrive under NATS_INBOX_PREFIX, the only inbox the user may read', async () => {
    const nc = await connectWith({ NATS_USER: 'svc', NATS_PASSWORD: 's3cret', NATS_INBOX_PREFIX: '_INBOX.svc' });
    const messenger = new NatsMessenger(nc, { log });
    messenger.subscribe('echo', (m) => m.respond(m.data));
    await nc.flush();
    const reply = await messenger.request('echo', new TextEncoder().encode('over tls'), { timeoutMs: 5000 });
    assert.equal(new TextDecoder().decode(reply.data), 'over tls');
  });

  test('TLS with an nkey seed file', async () => {
    const nc = await connectWith({ NATS_NKEY: join(dir, 'user.nk') });
    await nc.flush();
    assert.equal(nc.isClosed(), false);
  });

  test('a wrong password and an untrusted server certificate are refused', async () => {
    await assert.rejects(
      connectNats(readNatsSettings({ NATS_URL: url, NATS_CA: join(dir, 'ca.pem'), NATS_USER: 'svc', NATS_PASSWORD: 'guess' }), 'nats-spec', log),
      /authorization/i,
    );
    await assert.rejects(connectNats(readNatsSettings({ NATS_URL: url, NATS_USER: 'svc', NATS_PASSWORD: 's3cret' }), 'nats-spec', log), /certificate|self.signed|unable to verify/i);
  });
});
