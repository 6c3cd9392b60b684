import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryNetwork } from './memory-messenger.js';
import { MessengerTimeoutError } from './messenger.js';

const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('memory messenger', () => {
  test('publish/subscribe with wildcards and request/reply, asynchronously and in order', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [net.messenger(), net.messenger()];
    const seen: string[] = [];
    b.subscribe('p.*.x', (m) => void seen.push(`${m.subject}:${text(m.data)}`));
    b.subscribe('p.>', (m) => void seen.push(`>${m.subject}`));
    b.subscribe('echo', (m) => m.respond(m.data, { h: m.header('h') ?? '' }));
    a.publish('p.1.x', Buffer.from('one'));
    a.publish('p.2.x', Buffer.from('two'));
    assert.deepEqual(seen, [], 'nothing is delivered synchronously');
    await net.settle();
    assert.deepEqual(seen, ['p.1.x:one', '>p.1.x', 'p.2.x:two', '>p.2.x']);
    const reply = await a.request('echo', Buffer.from('hi'), { timeoutMs: 1_000, headers: { h: 'v' } });
    assert.equal(text(reply.data), 'hi');
    assert.equal(reply.header('h'), 'v');
  });

  test('no responders, forced no responders, drop and timeout', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [net.messenger(), net.messenger()];
    await assert.rejects(a.request('nobody', Buffer.alloc(0), { timeoutMs: 1_000 }), /no responders/);
    b.subscribe('svc', (m) => m.respond(Buffer.from('ok')));
    const restore = net.noResponders((e) => e.subject === 'svc');
    await assert.rejects(a.request('svc', Buffer.alloc(0), { timeoutMs: 1_000 }), /no responders/);
    restore();
    net.drop((e) => e.subject === 'svc');
    await assert.rejects(a.request('svc', Buffer.alloc(0), { timeoutMs: 50 }), MessengerTimeoutError);
  });

  test('held messages wait for the test; released out of order they arrive out of order', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [net.messenger(), net.messenger()];
    const seen: string[] = [];
    b.subscribe('q', (m) => void seen.push(text(m.data)));
    net.hold((e) => e.subject === 'q');
    a.publish('q', Buffer.from('1'));
    a.publish('q', Buffer.from('2'));
    await net.settle();
    assert.deepEqual(seen, []);
    assert.equal(net.held.length, 2);
    net.held[1]!.release();
    await net.settle();
    net.release();
    await net.settle();
    assert.deepEqual(seen, ['2', '1']);
  });

  test('a queue group shares the messages; a throwing handler does not stop delivery', async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = [net.messenger(), net.messenger(), net.messenger()];
    const counts = { b: 0, c: 0 };
    b.subscribe('w', () => void counts.b++, { queue: 'g' });
    c.subscribe('w', () => {
      counts.c++;
      throw new Error('boom');
    }, { queue: 'g' });
    for (let i = 0; i < 4; i++) a.publish('w', Buffer.alloc(0));
    await net.settle();
    assert.deepEqual(counts, { b: 2, c: 2 });
  });
});
