import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentAssembler, formatFragment, fragmentSender, parseFragment, splitPayload } from './fragments.js';

describe('fragments', () => {
  test('header round trip and rejection of malformed values', () => {
    assert.deepEqual(parseFragment(formatFragment({ id: 'abc', index: 1, count: 3 })), { id: 'abc', index: 1, count: 3 });
    for (const bad of [undefined, '', 'x', 'a;1', 'a;3;3', 'a;-1;2', 'a;0;0', ';0;1']) assert.equal(parseFragment(bad), undefined);
  });

  test('split and reassemble, interleaved with another message', () => {
    const a = Buffer.from('a'.repeat(10));
    const b = Buffer.from('b'.repeat(7));
    const pa = splitPayload(a, 4);
    const pb = splitPayload(b, 4);
    assert.equal(pa.length, 3);
    const asm = new FragmentAssembler({ processBytesMax: 100, senderBytesMax: 100, timeoutMs: 1000 });
    assert.equal(asm.accept({ id: 'a', index: 0, count: 3 }, pa[0]!), undefined);
    assert.equal(asm.accept({ id: 'b', index: 0, count: 2 }, pb[0]!), undefined);
    assert.equal(asm.accept({ id: 'a', index: 1, count: 3 }, pa[1]!), undefined);
    assert.deepEqual(asm.accept({ id: 'b', index: 1, count: 2 }, pb[1]!), b);
    assert.deepEqual(asm.accept({ id: 'a', index: 2, count: 3 }, pa[2]!), a);
    assert.equal(asm.pendingBytes, 0);
  });

  test('a gap, the byte bound and staleness drop the message', () => {
    let now = 0;
    const asm = new FragmentAssembler({ processBytesMax: 8, senderBytesMax: 8, timeoutMs: 100, now: () => now });
    asm.accept({ id: 'g', index: 0, count: 3 }, Buffer.alloc(2));
    assert.equal(asm.accept({ id: 'g', index: 2, count: 3 }, Buffer.alloc(2)), undefined);
    assert.equal(asm.pendingBytes, 0, 'out of order drops it');
    assert.equal(asm.accept({ id: 'h', index: 1, count: 2 }, Buffer.alloc(2)), undefined, 'no start, nothing kept');
    asm.accept({ id: 'big', index: 0, count: 2 }, Buffer.alloc(6));
    assert.equal(asm.accept({ id: 'big', index: 1, count: 2 }, Buffer.alloc(6)), undefined, 'over the byte bound');
    asm.accept({ id: 'old', index: 0, count: 2 }, Buffer.alloc(2));
    now = 500;
    assert.equal(asm.accept({ id: 'old', index: 1, count: 2 }, Buffer.alloc(2)), undefined, 'stale');
    assert.equal(asm.pendingBytes, 0);
  });

  test('one sender cannot take more than its bound; the process bound covers all senders; a timer expires', () => {
    let now = 0;
    const drops: string[] = [];
    const asm = new FragmentAssembler({ processBytesMax: 10, senderBytesMax: 6, timeoutMs: 100, now: () => now, onDrop: (reason) => drops.push(reason) });
    assert.equal(fragmentSender('s1.m1'), 's1');
    assert.equal(fragmentSender('plain'), 'plain');
    asm.accept({ id: 's1.m1', index: 0, count: 3 }, Buffer.alloc(4));
    asm.accept({ id: 's1.m2', index: 0, count: 3 }, Buffer.alloc(4));
    assert.deepEqual(drops, ['sender-bound'], 's1 would hold 8 > 6');
    asm.accept({ id: 's2.m1', index: 0, count: 3 }, Buffer.alloc(4));
    asm.accept({ id: 's3.m1', index: 0, count: 3 }, Buffer.alloc(4));
    assert.deepEqual(drops, ['sender-bound', 'process-bound'], '12 > 10 for the process');
    assert.equal(asm.pendingBytes, 8);
    now = 101;
    asm.expire();
    assert.equal(asm.pendingBytes, 0);
    assert.deepEqual(drops, ['sender-bound', 'process-bound', 'expired', 'expired']);
    assert.equal(asm.dropped, 4);
  });
});
