import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { startNatsServer } from '@eckd/testing';
import type { NatsServer } from '@eckd/testing';
import { createLogger } from './logger.js';
import { MessengerTimeoutError, NatsMessenger } from './messenger.js';

// A private nats-server with a small max_payload, so fragmentation is used
// for modest payloads.
const log = createLogger('messenger-spec', { level: 'error' });
let server: NatsServer;
let a: NatsConnection;
let b: NatsConnection;

before(async () => {
  server = await startNatsServer({ jetstream: false, config: 'max_payload: 65536' });
  a = await connect({ servers: server.url });
  b = await connect({ servers: server.url });
});

after(async () => {
  await a?.close();
  await b?.close();
  await server?.stop();
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
