import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError, MvccInvariantError } from './errors.js';
import { MvccStore } from './mvcc-store.js';
import { b, cmp, del, delOp, get, keysOf, kvError, put, putOp, rangeOp, str, txn } from './spec-helpers.js';
import type { MvccState, RevisionPatch } from './types.js';

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random mix of writes over 30 keys; returns the patches it produced. */
function workload(s: MvccStore, steps: number, seed: number): RevisionPatch[] {
  const rnd = prng(seed);
  const key = () => `k${Math.floor(rnd() * 30)}`;
  const patches: RevisionPatch[] = [];
  for (let i = 0; i < steps; i++) {
    const pick = rnd();
    let r;
    if (pick < 0.5) r = put(s, key(), `v${i}`, { lease: rnd() < 0.2 ? '100' : '0' });
    else if (pick < 0.65) r = del(s, key());
    else if (pick < 0.75) r = del(s, key(), key());
    else {
      const k = key();
      r = txn(s, { compare: [cmp(k, 'VERSION', 'GREATER', 1)], success: [putOp(k, `t${i}`), delOp(`${k}x`)], failure: [delOp(k), putOp(`${k}y`)] });
    }
    if (r.changed) patches.push({ revision: r.revision, events: r.events });
  }
  return patches;
}

const everything = { key: b('\0'), range_end: b('\0') };

/** Both stores answer every read and history question the same way. */
function assertSameReads(a: MvccStore, c: MvccStore, from: number): void {
  assert.equal(c.revision, a.revision);
  assert.equal(c.compactRevision, a.compactRevision);
  assert.equal(c.keyCount(), a.keyCount());
  for (let rev = from; rev <= a.revision; rev++) {
    assert.deepEqual(c.range({ ...everything, revision: rev }), a.range({ ...everything, revision: rev }), `range at ${rev}`);
  }
  assert.deepEqual(c.range({ key: b('k1'), range_end: b('k3'), limit: 3, sort_order: 'DESCEND', sort_target: 'MOD' }), a.range({ key: b('k1'), range_end: b('k3'), limit: 3, sort_order: 'DESCEND', sort_target: 'MOD' }));
  assert.deepEqual(c.eventsBetween(from, Infinity), a.eventsBetween(from, Infinity));
}

describe('compact', () => {
  test('Compact(0) on a fresh store is accepted once (initial compact revision -1)', () => {
    const s = new MvccStore();
    assert.deepEqual(s.compact(0), { revision: 1, compactRevision: 0 });
    assert.throws(() => s.compact(0), kvError('Compacted'));
    assert.deepEqual(s.compact(1), { revision: 1, compactRevision: 1 });
    assert.throws(() => s.compact(2), kvError('FutureRev'));
    assert.deepEqual(s.eventsBetween(1, 5), []);
  });

  test('history below the compact revision goes; the compact revision itself stays readable', () => {
    const s = new MvccStore();
    put(s, 'a', '1'); // 2
    put(s, 'a', '2'); // 3
    put(s, 'gone', 'x'); // 4
    del(s, 'gone'); // 5
    put(s, 'b', '1'); // 6
    del(s, 'b'); // 7 (after the compaction point)
    put(s, 'a', '3'); // 8
    s.compact(6);
    assert.throws(() => s.range({ ...everything, revision: 5 }), kvError('Compacted'));
    assert.deepEqual(keysOf(s.range({ ...everything, revision: 6 }).kvs), ['a', 'b']);
    assert.equal(str(get(s, 'a', { revision: 6 })?.value), '2');
    assert.deepEqual(keysOf(s.range({ ...everything, revision: 7 }).kvs), ['a']);
    assert.equal(s.range({ key: b('gone'), revision: 6 }).count, 0);
    assert.equal(s.keyCount(), 1);
    s.compact(8);
    assert.deepEqual(keysOf(s.range({ ...everything, revision: 8 }).kvs), ['a']);
    assert.equal(get(s, 'a')?.version, 3);
  });

  test('a delete at exactly the compact revision is still replayed from it (etcd #19179)', () => {
    const s = new MvccStore();
    put(s, 'a', '1'); // 2
    del(s, 'a'); // 3
    put(s, 'b', '1'); // 4
    s.compact(3);
    assert.deepEqual(s.eventsBetween(3, 4), [
      { revision: 3, events: [{ type: 'DELETE', kv: { key: b('a'), mod_revision: 3 } }] },
      { revision: 4, events: [{ type: 'PUT', kv: get(s, 'b') }] },
    ]);
    assert.throws(() => s.eventsBetween(2, 4), kvError('Compacted'));
    assert.equal(s.kvAt(b('a'), 3), undefined);
    assert.throws(() => s.kvAt(b('a'), 2), kvError('Compacted'));
  });
});

describe('eventsBetween and kvAt', () => {
  test('patches in revision order, inclusive bounds, capped at the current revision', () => {
    const s = new MvccStore();
    put(s, 'a', '1');
    txn(s, { success: [putOp('b'), putOp('a', '2'), rangeOp('a')] });
    del(s, 'a', 'c');
    const all = s.eventsBetween(1, 100);
    assert.deepEqual(all.map((p) => [p.revision, p.events.map((e) => `${e.type} ${str(e.kv.key)}`)]), [
      [2, ['PUT a']],
      [3, ['PUT b', 'PUT a']],
      [4, ['DELETE a', 'DELETE b']],
    ]);
    assert.deepEqual(s.eventsBetween(3, 3).map((p) => p.revision), [3]);
    assert.throws(() => (all[0]!.events as unknown[]).push('x'), TypeError);
    assert.deepEqual(s.eventsBetween(5, 9), []);
    assert.throws(() => s.eventsBetween(0, 9), kvError('Compacted'));
  });

  test('kvAt gives the previous kv of an event (watch prev_kv)', () => {
    const s = new MvccStore();
    put(s, 'a', '1');
    put(s, 'a', '2');
    del(s, 'a');
    assert.equal(str(s.kvAt(b('a'), 3)?.value), '2');
    assert.equal(str(s.kvAt(b('a'), 2)?.value), '1');
    assert.equal(s.kvAt(b('a'), 1), undefined);
    assert.equal(s.kvAt(b('a')), undefined);
    assert.throws(() => s.kvAt(b('a'), 5), kvError('FutureRev'));
  });
});

describe('replica', () => {
  test('a replica fed with the patches answers exactly like the backend, through compactions', () => {
    const backend = new MvccStore();
    const replica = new MvccStore();
    for (let round = 0; round < 4; round++) {
      for (const p of workload(backend, 150, round + 1)) replica.applyRevision(p);
      assertSameReads(backend, replica, Math.max(1, backend.compactRevision));
      const at = backend.revision - 20;
      backend.compact(at);
      replica.compact(at);
      assertSameReads(backend, replica, at);
    }
  });

  test('patches as decoded off the wire (int64 strings, enum numbers, Uint8Array views) are normalised and copied', () => {
    const replica = new MvccStore();
    const wire = Buffer.from('..key..value..');
    replica.applyRevision({
      revision: '2' as unknown as number,
      events: [{ type: 0 as unknown as 'PUT', kv: { key: new Uint8Array(wire.buffer, wire.byteOffset + 2, 3) as Buffer, create_revision: '2', mod_revision: '2', version: '1', value: wire.subarray(7, 12), lease: '100' } as never }],
    });
    wire.fill(0);
    assert.deepEqual(get(replica, 'key'), { key: b('key'), create_revision: 2, mod_revision: 2, version: 1, value: b('value'), lease: '100' });
    replica.applyRevision({ revision: 3, events: [{ type: 1 as unknown as 'DELETE', kv: { key: b('key'), mod_revision: '3' as unknown as number } }] });
    assert.equal(replica.keyCount(), 0);
  });

  test('out-of-order patches are refused: a gap is FutureRev, a repeat is Compacted', () => {
    const backend = new MvccStore();
    const patches = workload(backend, 10, 9);
    const replica = new MvccStore();
    assert.throws(() => replica.applyRevision(patches[1]!), kvError('FutureRev'));
    replica.applyRevision(patches[0]!);
    assert.throws(() => replica.applyRevision(patches[0]!), kvError('Compacted'));
  });

  test('a patch that does not follow from the replica state is refused whole', () => {
    const replica = new MvccStore();
    replica.applyRevision({ revision: 2, events: [{ type: 'PUT', kv: { key: b('a'), create_revision: 2, mod_revision: 2, version: 1, value: b('1'), lease: '0' } }] });
    const bad: RevisionPatch[] = [
      { revision: 3, events: [{ type: 'PUT', kv: { key: b('b'), create_revision: 3, mod_revision: 3, version: 1, value: b(''), lease: '0' } }, { type: 'PUT', kv: { key: b('a'), create_revision: 3, mod_revision: 3, version: 1, value: b(''), lease: '0' } }] },
      { revision: 3, events: [{ type: 'DELETE', kv: { key: b('zz'), mod_revision: 3 } }] },
      { revision: 3, events: [{ type: 'PUT', kv: { key: b('c'), create_revision: 3, mod_revision: 2, version: 1, value: b(''), lease: '0' } }] },
      { revision: 3, events: [] },
    ];
    for (const p of bad) assert.throws(() => replica.applyRevision(p), MvccInvariantError);
    assert.equal(replica.revision, 2);
    assert.deepEqual(keysOf(replica.range(everything).kvs), ['a']);
  });
});

describe('exportState / fromState', () => {
  test('round trip of a fresh store and of a store that was never compacted', () => {
    assertSameReads(new MvccStore(), MvccStore.fromState(new MvccStore().exportState()), 1);
    const s = new MvccStore();
    workload(s, 200, 42);
    const copy = MvccStore.fromState(s.exportState());
    assertSameReads(s, copy, 1);
    workload(s, 50, 43);
    workload(copy, 50, 43);
    assertSameReads(s, copy, 1);
  });

  test('round trip after compaction keeps the compact revision readable and replayable', () => {
    const s = new MvccStore();
    workload(s, 300, 5);
    s.compact(s.revision - 40);
    const state = s.exportState();
    assert.equal(state.baseRevision, s.compactRevision);
    assert.equal(state.patches[0]?.revision, s.compactRevision);
    assert.ok(state.base.every((kv) => kv.mod_revision <= s.compactRevision));
    const copy = MvccStore.fromState(state);
    assertSameReads(s, copy, s.compactRevision);
    assert.throws(() => copy.range({ ...everything, revision: s.compactRevision - 1 }), kvError('Compacted'));
  });

  test('a state as JSON-decoded (int64 strings, no baseRevision, no base patch) loads', () => {
    const s = new MvccStore();
    workload(s, 100, 11);
    s.compact(50);
    const full = s.exportState();
    const wire = JSON.parse(JSON.stringify({ ...full, baseRevision: undefined, patches: full.patches.slice(1) }), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data) : typeof v === 'number' ? String(v) : v,
    ) as MvccState;
    const copy = MvccStore.fromState(wire);
    assert.equal(copy.revision, s.revision);
    assert.deepEqual(copy.range({ ...everything, revision: 50 }), s.range({ ...everything, revision: 50 }));
    assert.deepEqual(copy.eventsBetween(51, Infinity), s.eventsBetween(51, Infinity));
    assert.throws(() => copy.eventsBetween(50, 60), kvError('Compacted'));
  });

  test('an inconsistent state is refused', () => {
    const s = new MvccStore();
    workload(s, 20, 3);
    const state = s.exportState();
    assert.throws(() => MvccStore.fromState({ ...state, revision: state.revision + 1 }), MvccInvariantError);
    assert.throws(() => MvccStore.fromState({ ...state, patches: state.patches.slice(1) }), KvError);
  });
});

describe('constructor options', () => {
  test('a store may start at a later revision; its earlier history is unknown', () => {
    const s = new MvccStore({ revision: 10, compactRevision: 4 });
    assert.equal(s.revision, 10);
    assert.equal(s.compactRevision, 4);
    put(s, 'a', '1');
    assert.equal(get(s, 'a')?.create_revision, 11);
    assert.throws(() => s.range({ ...everything, revision: 9 }), kvError('Compacted'));
    assert.deepEqual(s.range({ ...everything, revision: 10 }).kvs, []);
    assert.throws(() => s.eventsBetween(10, 11), kvError('Compacted'));
    assert.equal(s.eventsBetween(11, 11).length, 1);
    assert.throws(() => new MvccStore({ revision: 0 }), MvccInvariantError);
  });
});
