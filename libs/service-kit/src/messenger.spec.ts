import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { createLogger } from './logger.js';
import { MessengerTimeoutError, NatsMessenger } from './messenger.js';

// A private nats-server with a small max_payload, so fragmentation is used
// for modest payloads. (libs/testing is not a dependency of an infra lib.)
const log = createLogger('messenger-spec', { level: 'error' });
let server: ChildProcess;
let dir: string;
let a: NatsConnection;
let b: NatsConnection;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'messenger-'));
  writeFileSync(join(dir, 'nats.conf'), `listen: 127.0.0.1:${port}\nmax_payload: 65536\n`);
  server = spawn('nats-server', ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      a = await connect({ servers: `127.0.0.1:${port}` });
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  b = await connect({ servers: `127.0.0.1:${port}` });
});

after(async () => {
  await a?.close();
  await b?.close();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('messenger', () => {
  test('request/reply of payloads far above max_payload, both ways, with headers', async () => {
    const ma = new NatsMessenger(a, { log });
    const mb = new NatsMessenger(b, { log });
    mb.subscribe('echo', (m) => m.respond(Buffer.concat([m.data, m.data]), { seen: m.header('x-test') ?? '' }));
    await b.flush();
    const big = Buffer.alloc(300_000, 7);
    big[299_999] = 1;
    const reply = await ma.request('echo', big, { timeoutMs: 5_000, headers: { 'x-test': 'yes' } });
    assert.equal(reply.data.length, 600_000);
    assert.equal(reply.data[299_999], 1);
    assert.equal(reply.header('seen'), 'yes');
    const small = await ma.request('echo', Buffer.from('hi'), { timeoutMs: 5_000 });
    assert.equal(Buffer.from(small.data).toString(), 'hihi');
  });

  test('a stream of replies, and a timeout when nobody answers', async () => {
    const ma = new NatsMessenger(a, { log });
    const mb = new NatsMessenger(b, { log });
    mb.subscribe('count', (m) => {
      for (let i = 0; i < 3; i++) m.respond(Buffer.alloc(100_000, i));
    });
    await b.flush();
    const got: number[] = [];
    for await (const m of ma.requestStream('count', Buffer.alloc(1), { chunkTimeoutMs: 5_000 })) {
      got.push(m.data[0]!);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, [0, 1, 2]);
    await assert.rejects(ma.request('nobody.home', Buffer.alloc(1), { timeoutMs: 200 }), MessengerTimeoutError);
  });

  test('a request to a queue group is handled by one member only', async () => {
    const ma = new NatsMessenger(a, { log });
    const mb = new NatsMessenger(b, { log });
    let handled = 0;
    for (const name of ['one', 'two']) {
      mb.subscribe('work', (m) => (handled++, m.respond(Buffer.from(name))), { queue: 'workers' });
    }
    await b.flush();
    for (let i = 0; i < 10; i++) await ma.request('work', Buffer.alloc(1), { timeoutMs: 5_000 });
    await b.flush();
    assert.equal(handled, 10);
  });

  test('a handler that throws (or rejects) is logged and its subscription goes on', async () => {
    const ma = new NatsMessenger(a, { log });
    const mb = new NatsMessenger(b, { log });
    let calls = 0;
    mb.subscribe('fragile', (m) => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) return Promise.reject(new Error('async boom'));
      m.respond(Buffer.from('ok'));
    });
    await b.flush();
    ma.publish('fragile', Buffer.alloc(1));
    ma.publish('fragile', Buffer.alloc(1));
    const reply = await ma.request('fragile', Buffer.alloc(1), { timeoutMs: 5_000 });
    assert.equal(Buffer.from(reply.data).toString(), 'ok');
    assert.equal(calls, 3);
  });
});
