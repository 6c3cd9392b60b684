import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, compareTags, untaggedTag } from './txn-tag.js';

describe('transaction tags', () => {
  test('order by hlc, then member', () => {
    assert.equal(compareTags({ hlc: 1n, member: 9n }, { hlc: 2n, member: 0n }), -1);
    assert.equal(compareTags({ hlc: 2n, member: 1n }, { hlc: 2n, member: 0n }), 1);
    assert.equal(compareTags({ hlc: 2n, member: 1n }, { hlc: 2n, member: 1n }), 0);
    assert.equal(compareTags(untaggedTag, { hlc: 0n, member: 1n }), -1);
  });

  test('the clock is wall milliseconds × 2^16 and counts within one millisecond', () => {
    let now = 1000;
    const clock = new HybridClock(7n, () => now);
    assert.deepEqual(clock.next(), { hlc: 1000n << 16n, member: 7n });
    assert.deepEqual(clock.next(), { hlc: (1000n << 16n) + 1n, member: 7n });
    now = 1001;
    assert.equal(clock.next().hlc, 1001n << 16n);
  });

  test('strictly increasing when the wall clock goes backwards', () => {
    let now = 5000;
    const clock = new HybridClock(1n, () => now);
    const seen = [clock.next().hlc];
    now = 10; // a step back of almost five seconds
    for (let i = 0; i < 5; i++) seen.push(clock.next().hlc);
    now = 5001;
    seen.push(clock.next().hlc);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `${seen[i]} after ${seen[i - 1]}`);
    assert.equal(seen.at(-1), 5001n << 16n, 'back on the wall clock once it passes');
  });

  test('observing a peer tag raises the clock past it', () => {
    const clock = new HybridClock(1n, () => 1000);
    const remote = { hlc: (2000n << 16n) + 5n, member: 2n };
    clock.observe(remote);
    const next = clock.next();
    assert.equal(compareTags(next, remote), 1);
    assert.equal(next.hlc, remote.hlc + 1n);
    clock.observe({ hlc: 3n, member: 9n }); // an older tag changes nothing
    assert.equal(clock.next().hlc, remote.hlc + 2n);
  });

  test('member ids are u64', () => {
    assert.throws(() => new HybridClock(-1n), /automerge-doc: member id/);
    assert.throws(() => new HybridClock(2n ** 64n), /automerge-doc: member id/);
  });
});
