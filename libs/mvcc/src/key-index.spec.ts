import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex } from './key-index.js';

/** Entries are { live } boxes so liveness can change in place, as key histories do. */
interface Box {
  live: boolean;
}

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkAgainstModel(index: KeyIndex<Box>, model: Map<string, Box>, rnd: () => number): void {
  const sorted = [...model.keys()].sort();
  assert.equal(index.size, model.size);
  assert.equal(index.liveSize, sorted.filter((k) => model.get(k)!.live).length);
  const scanned: string[] = [];
  index.scan('', undefined, (k) => void scanned.push(k));
  assert.deepEqual(scanned, sorted);
  for (let i = 0; i < 20; i++) {
    const lo = String.fromCharCode(97 + Math.floor(rnd() * 26)) + Math.floor(rnd() * 100);
    const hi = rnd() < 0.2 ? undefined : lo + String.fromCharCode(97 + Math.floor(rnd() * 26));
    const inRange = sorted.filter((k) => k >= lo && (hi === undefined || k < hi));
    const got: string[] = [];
    index.scan(lo, hi, (k) => void got.push(k));
    assert.deepEqual(got, inRange);
    assert.equal(index.countLive(lo, hi), inRange.filter((k) => model.get(k)!.live).length);
    const limited: string[] = [];
    index.scan(lo, hi, (k) => limited.push(k) < 3);
    assert.deepEqual(limited, inRange.slice(0, 3));
  }
}

describe('KeyIndex', () => {
  test('random inserts, deletes and liveness changes match a sorted model', () => {
    const rnd = prng(7);
    const index = new KeyIndex<Box>((v) => v.live);
    const model = new Map<string, Box>();
    for (let round = 0; round < 12; round++) {
      // Grow in the first rounds, shrink to nothing at the end, to exercise splits, merges and collapse.
      const deleting = round >= 8 ? 0.9 : round >= 5 ? 0.5 : 0.15;
      for (let i = 0; i < 2500; i++) {
        const key = String.fromCharCode(97 + Math.floor(rnd() * 26)) + Math.floor(rnd() * 1000);
        const box = model.get(key);
        if (box === undefined) {
          if (rnd() < deleting) continue;
          const fresh = { live: rnd() < 0.7 };
          model.set(key, fresh);
          index.insert(key, fresh);
          assert.equal(index.get(key), fresh);
        } else if (rnd() < deleting) {
          model.delete(key);
          assert.equal(index.delete(key), true);
          assert.equal(index.get(key), undefined);
        } else {
          box.live = !box.live;
          index.liveChanged(key, box.live ? 1 : -1);
        }
      }
      checkAgainstModel(index, model, rnd);
    }
    for (const key of [...model.keys()]) index.delete(key);
    assert.equal(index.size, 0);
    assert.equal(index.liveSize, 0);
    assert.equal(index.delete('nothing'), false);
    index.insert('again', { live: true });
    assert.equal(index.countLive('', undefined), 1);
  });

  test('inserting a key twice is a programming error', () => {
    const index = new KeyIndex<Box>((v) => v.live);
    index.insert('a', { live: true });
    assert.throws(() => index.insert('a', { live: true }), /already holds/);
  });

  test('sequential keys (the common append pattern) stay ordered and counted', () => {
    const index = new KeyIndex<Box>((v) => v.live);
    for (let i = 0; i < 10000; i++) index.insert(`k${String(i).padStart(5, '0')}`, { live: i % 2 === 0 });
    assert.equal(index.countLive('k00100', 'k00200'), 50);
    assert.equal(index.countLive('', undefined), 5000);
    let first: string | undefined;
    index.scan('k05000', undefined, (k) => {
      first = k;
      return false;
    });
    assert.equal(first, 'k05000');
  });
});
