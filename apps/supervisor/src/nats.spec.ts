import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { NatsUnavailableError, embeddedNatsSpec, findExecutable, natsEndpoints, planNats } from './nats.js';
import { findFreePort, probeNats } from './net-probe.js';

describe('nats', () => {
  test('nats - endpoints of a NATS_URL list', () => {
    assert.deepEqual(natsEndpoints('nats://127.0.0.1:4333, nats://[::1]'), [
      { host: '127.0.0.1', port: 4333 },
      { host: '::1', port: 4222 },
    ]);
  });

  test('nats - plan: use, embed, or explain', () => {
    assert.equal(planNats('nats://127.0.0.1:4222', 'nats', undefined).kind, 'external');
    assert.deepEqual(planNats('nats://localhost:4300', 'none', '/usr/sbin/nats-server'), {
      kind: 'embedded',
      endpoint: { host: 'localhost', port: 4300 },
      binary: '/usr/sbin/nats-server',
    });
    assert.throws(() => planNats('nats://127.0.0.1:4222', 'none', undefined), /apt-get install nats-server/);
    assert.throws(() => planNats('nats://10.1.2.3:4222', 'none', '/usr/sbin/nats-server'), /no NATS server answers/);
    assert.throws(() => planNats('tls://127.0.0.1:4222', 'none', '/usr/sbin/nats-server'), NatsUnavailableError);
    assert.throws(() => planNats('nats://127.0.0.1:4222', 'other', '/usr/sbin/nats-server'), /not NATS/);
  });

  test('nats - the embedded server gets its users config, JetStream and a store under the data dir', () => {
    const spec = embeddedNatsSpec({ binary: '/bin/nats-server', endpoint: { host: '127.0.0.1', port: 4223 }, dataDir: '/d', configFile: '/d/nats-server.conf', env: {} });
    assert.deepEqual(spec.args, ['-c', '/d/nats-server.conf', '-a', '127.0.0.1', '-p', '4223', '-js', '-sd', '/d/nats']);
    assert.ok(spec.isReadyLine('[1] 2026/01/01 00:00:00.000000 [INF] Server is ready'));
  });

  test('nats - findExecutable looks through PATH', () => {
    assert.equal(findExecutable('node', `/nonexistent:${process.execPath.replace(/\/node$/, '')}`), process.execPath);
    assert.equal(findExecutable('eckd-no-such-binary', process.env['PATH']), undefined);
  });

  test('nats - probe tells NATS, something else, and nothing apart', async () => {
    const fake = createServer((socket) => socket.end('INFO {"server_id":"x"}\r\n'));
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal(await probeNats('127.0.0.1', (fake.address() as AddressInfo).port, 1000), 'nats');
      assert.equal(await probeNats('127.0.0.1', (silent.address() as AddressInfo).port, 200), 'other');
      assert.equal(await probeNats('127.0.0.1', await findFreePort('127.0.0.1'), 1000), 'none');
    } finally {
      fake.close();
      silent.close();
      for (const socket of held) socket.destroy();
    }
  });
});
