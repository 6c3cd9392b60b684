import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, createKvDocument } from '@eckd/automerge-doc';
import { LeaseStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { BatchEffects, NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { ConflictLog } from './conflicts.js';
import { applyTouchedKeys } from './peer-apply.js';
import { emptyStoreOfBand } from './peer-config.js';

const log = createLogger('peer-apply-spec');

/** A member's state as the backend holds it, with peers (tagged writes). */
function member(band: number, nowMs: () => number): NodeState & { conflicts: ConflictLog } {
  const state: NodeState = { store: emptyStoreOfBand(band), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock: new HybridClock(BigInt(band + 1), nowMs) };
  return { ...state, conflicts: new ConflictLog(10, log) };
}

const effects = (): BatchEffects => ({ patches: [], compactRevision: undefined });

/** One local batch: the writes, then the commit carrying the member's origin. */
function batch(m: NodeState, ops: Parameters<typeof applyWrite>[2][]): Uint8Array {
  for (const op of ops) applyWrite(m, effects(), op);
  return m.doc.commit({ member: m.clock!.member, revision: BigInt(m.store.revision) })!.bytes;
}

const put = (key: string, value: string) => ({ put: { key: Buffer.from(key), value: Buffer.from(value) } });
const del = (key: string) => ({ delete_range: { key: Buffer.from(key) } });

function receive(m: NodeState & { conflicts: ConflictLog }, changes: Uint8Array[]): BatchEffects {
  const e = effects();
  const result = m.doc.applyPeerChanges(changes);
  applyTouchedKeys(m, e, result.touchedKeys, m.conflicts);
  return e;
}

const valueAt = (m: NodeState, key: string) => m.store.kvAt(Buffer.from(key))?.value.toString();

describe("applying a peer's changes", () => {
  test('become one local revision in the receiver band, with PUT and DELETE events; nothing twice', () => {
    let now = 1_000;
    const a = member(0, () => now);
    const b = member(1, () => now);
    const first = batch(a, [put('k1', 'a1'), put('k2', 'a2')]);
    assert.deepEqual(receive(b, [first]).patches.map((p) => [Number(p.revision), p.events.length]), [[2 ** 48 + 2, 2]]);
    now++;
    const second = batch(a, [del('k1'), put('k2', 'a2b')]);
    const e = receive(b, [second]);
    assert.equal(e.patches.length, 1);
    assert.deepEqual(e.patches[0]!.events.map((ev) => ev['type'] ?? 'PUT'), ['DELETE', 'PUT']);
    assert.equal(valueAt(b, 'k1'), undefined);
    assert.equal(valueAt(b, 'k2'), 'a2b');
    assert.deepEqual(receive(b, [first, second]).patches, []);
  });

  test('concurrent writes resolve by tag on both members, whole transactions together, and are recorded once', () => {
    let now = 5_000;
    const a = member(0, () => now);
    const b = member(1, () => now);
    receive(b, [batch(a, [put('y', 'base')])]);
    now++;
    const fromA = batch(a, [{ txn: { success: [{ request_put: { key: Buffer.from('x'), value: Buffer.from('a') } }, { request_put: { key: Buffer.from('y'), value: Buffer.from('a') } }] } }]);
    now++; // b's transaction is later: it wins both keys everywhere
    const fromB = batch(b, [{ txn: { success: [{ request_put: { key: Buffer.from('x'), value: Buffer.from('b') } }, { request_delete_range: { key: Buffer.from('y') } }] } }]);
    receive(a, [fromB]);
    receive(b, [fromA]);
    for (const m of [a, b]) {
      assert.equal(valueAt(m, 'x'), 'b');
      assert.equal(valueAt(m, 'y'), undefined);
      assert.deepEqual(m.doc.keys(), ['x']);
    }
    assert.deepEqual(a.conflicts.list().map((c) => `${c.key} ${c.kind}`).sort(), ['x put/put', 'y delete/put']);
    assert.deepEqual(b.conflicts.totals(), { 'put/put': 1, 'put/delete': 0, 'delete/put': 1 });
    // a's clock went past b's tag: its next write wins although its wall clock stepped back.
    now -= 10;
    receive(b, [batch(a, [put('x', 'a-after')])]);
    assert.equal(valueAt(b, 'x'), 'a-after');
    assert.equal(b.conflicts.list().length, 2);
  });
});
