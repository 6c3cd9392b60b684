// A laggard's rejoin of a newer lineage (docs/ARCHITECTURE.md §8.10, 6) on
// real documents: the cluster's member cuts while the laggard writes alone;
// the laggard asks, takes the cluster's document, re-expresses its own
// writes, and its key index moves to the new document's state by one
// revision. The question and the snapshot stream are given as functions
// (the cluster specs run them over NATS: cluster-cut-laggard.spec.ts).
import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, buildCutBase, createKvDocument, cutRecordOf, loadKvDocument, withOriginWatermarks } from '@eckd/automerge-doc';
import type { CutProposal, CutReply } from '@eckd/change-codec';
import { LeaseStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { BatchEffects, NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { ConflictLog } from './conflicts.js';
import { deleteKeysOfEndedLeases } from './ended-lease-keys.js';
import { LineageRejoin } from './lineage-rejoin.js';
import { applyTouchedKeys } from './peer-apply.js';
import { emptyStoreOfBand } from './peer-config.js';
import type { PeerMember } from './peer-link.js';
import type { PeerSnapshot } from './snapshot-stream.js';

const log = createLogger('lineage-rejoin-spec');
const cluster: PeerMember = { name: 'node1', id: '1', band: 0 };
const laggard: PeerMember = { name: 'node2', id: '2', band: 1 };

function member(band: number, nowMs: () => number): NodeState {
  return { store: emptyStoreOfBand(band), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock: new HybridClock(BigInt(band + 1), nowMs) };
}

const effects = (): BatchEffects => ({ patches: [], compactRevision: undefined });

function batch(m: NodeState, ops: Parameters<typeof applyWrite>[2][]): Uint8Array {
  for (const op of ops) applyWrite(m, effects(), op);
  return m.doc.commit({ member: m.clock!.member, revision: BigInt(m.store.revision) })!.bytes;
}

function receive(m: NodeState, changes: Uint8Array[]): void {
  const result = m.doc.applyPeerChanges(changes);
  applyTouchedKeys(m, effects(), result.touchedKeys, new ConflictLog(10, log));
}

const put = (key: string, value: string) => ({ put: { key: Buffer.from(key), value: Buffer.from(value) } });
const del = (key: string) => ({ delete_range: { key: Buffer.from(key) } });
const indexOf = (m: NodeState) => new Map(m.store.range({ key: Buffer.from('k'), range_end: Buffer.from('l') }).kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));

/** Both members share a history, the laggard writes alone, the cluster writes and cuts: the cluster's new document and its decision. */
function scenario() {
  let now = 1_000;
  const a = member(0, () => now);
  const b = member(1, () => now);
  receive(b, [batch(a, [put('k1', 'a1'), put('k2', 'a2'), put('k3', 'a3')])]);
  receive(a, [batch(b, [put('k4', 'b4')])]);
  now += 10;
  // Cut off: the laggard writes its own key, a shared key and a delete; the cluster writes a shared key later (it wins).
  batch(b, [put('k5', 'b5'), put('k2', 'b2'), del('k3')]);
  now += 10;
  batch(a, [put('k2', 'a2-later'), put('k6', 'a6')]);
  const heads = a.doc.heads();
  const proposal: CutProposal = { lineage: a.doc.lineage().id, cut: '1', heads, floor_excluded: [], proposer: cluster.id };
  const { origins } = cutRecordOf(a.doc, heads);
  const base = buildCutBase(withOriginWatermarks(a.doc.cutStateAt(heads), origins), { cut: 1, previousLineage: a.doc.lineage().id }, 0n).bytes;
  const current = loadKvDocument({ base });
  const snapshot: PeerSnapshot = { document: current.save(), heads: current.heads(), peerSyncStates: [], lineage: current.lineage() };
  return { b, current, proposal, snapshot };
}

describe('a laggard rejoining a newer lineage', () => {
  test('takes the document, keeps its own writes the cluster lacks, and moves its key index by one revision', async () => {
    const { b, current, snapshot } = scenario();
    const reply: CutReply = { ok: false, decided: null, lineage: current.lineage().id, cut: '1' };
    let fetched = 0;
    const rejoined: string[] = [];
    const rejoin = new LineageRejoin({
      state: b, self: laggard, intervalMs: 1_000, catchUpMs: 1_000, log,
      askStatus: () => Promise.resolve(reply),
      fetchSnapshot: () => {
        fetched++;
        return Promise.resolve(snapshot);
      },
      decided: () => assert.fail('no decision was answered'),
      onRejoined: () => rejoined.push('rejoined'),
      wake: () => undefined,
    });
    rejoin.newerHeard(cluster);
    rejoin.newerHeard(cluster); // within the interval: not asked again
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fetched, 1);
    assert.ok(rejoin.hasWork());
    const before = b.store.revision;
    const e = effects();
    assert.ok(rejoin.rejoinAt(b, e, new ConflictLog(10, log)));
    assert.deepEqual(b.doc.lineage(), current.lineage());
    // The cluster's k2 is later than the laggard's; k3's delete and k5 are the laggard's own, above its watermark; k6 came from the cluster.
    assert.deepEqual(Object.fromEntries(indexOf(b)), { k1: 'a1', k2: 'a2-later', k4: 'b4', k5: 'b5', k6: 'a6' });
    assert.deepEqual(e.patches.map((p) => p.revision), [before + 1]);
    assert.deepEqual(e.patches[0]!.events.map((ev) => `${ev.type ?? 'PUT'} ${ev.kv!.key.toString()}`).sort(), ['PUT k2', 'PUT k6']);
    assert.deepEqual(rejoined, ['rejoined']);
    // The batch commits the re-expression; its append carries the new document, which loads to the same state elsewhere.
    const change = b.doc.commit({ member: b.clock!.member, revision: BigInt(b.store.revision) })!.bytes;
    assert.ok(rejoin.rebaseDue());
    const rebase = rejoin.rebaseAt(b);
    assert.equal(rejoin.rebaseDue(), false);
    assert.equal(rebase.lineage, current.lineage().id);
    const reloaded = loadKvDocument({ saved: rebase.document });
    assert.deepEqual(reloaded.heads(), b.doc.heads());
    current.applyPeerChanges([change]);
    assert.deepEqual(current.keys(), b.doc.keys());
    assert.deepEqual(current.keys().map((k) => Buffer.from(current.get(k)!.value).toString()), ['a1', 'a2-later', 'b4', 'b5', 'a6']);
  });

  test('one cut behind with the decision: the coordinator gets it, and a snapshot only once the catch-up time passed', async () => {
    const { b, current, proposal, snapshot } = scenario();
    let now = 0;
    let fetched = 0;
    const decided: CutProposal[] = [];
    const rejoin = new LineageRejoin({
      state: b, self: laggard, intervalMs: 100, catchUpMs: 1_000, log, now: () => now,
      askStatus: (_to, lineage) => {
        assert.equal(lineage.id, b.doc.lineage().id);
        return Promise.resolve({ ok: true, decided: proposal, lineage: current.lineage().id, cut: '1' });
      },
      fetchSnapshot: () => {
        fetched++;
        return Promise.resolve(snapshot);
      },
      decided: (p) => decided.push(p),
      onRejoined: () => undefined,
      wake: () => undefined,
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    rejoin.newerHeard(cluster);
    await settle();
    assert.deepEqual(decided, [proposal]);
    now = 500;
    rejoin.newerHeard(cluster);
    await settle();
    assert.equal(fetched, 0, 'within ECKD_CUT_CATCH_UP_MS the switch is waited for');
    now = 1_200;
    rejoin.newerHeard(cluster);
    await settle();
    assert.equal(fetched, 1);
    assert.ok(rejoin.hasWork());
    rejoin.stop();
  });

  test("a key the taken document shows with a lease no record holds is deleted by the rejoin's batch (§8.6); once its rebase is stored, the origins it took are told", async () => {
    const { b, snapshot } = scenario();
    // The cluster's document: node1's write at its revision 42 of a key with lease 77, whose record is gone (revoked while a peer wrote with it).
    const taken = loadKvDocument({ saved: snapshot.document });
    taken.put('k7', Buffer.from('leased'), '77');
    taken.commit({ member: 1n, revision: 42n });
    const leased: PeerSnapshot = { ...snapshot, document: taken.save(), heads: taken.heads() };
    const rejoin = new LineageRejoin({
      state: b, self: laggard, intervalMs: 1_000, catchUpMs: 1_000, log,
      askStatus: () => Promise.resolve({ ok: false, decided: null, lineage: taken.lineage().id, cut: '1' }),
      fetchSnapshot: () => Promise.resolve(leased),
      decided: () => undefined,
      onRejoined: () => undefined,
      wake: () => undefined,
    });
    rejoin.newerHeard(cluster);
    await new Promise((resolve) => setImmediate(resolve));
    const e = effects();
    // As PeerReplication.beforeProposals: the patches from the rejoin's on are checked.
    assert.ok(rejoin.rejoinAt(b, e, new ConflictLog(10, log)));
    assert.equal(indexOf(b).get('k7'), 'leased');
    assert.equal(deleteKeysOfEndedLeases(b, e, e.patches), 1);
    assert.equal(indexOf(b).has('k7'), false);
    assert.deepEqual(e.patches.map((p) => p.events.map((ev) => `${ev.type ?? 'PUT'} ${ev.kv!.key.toString()}`)).at(-1), ['DELETE k7']);
    b.doc.commit({ member: b.clock!.member, revision: BigInt(b.store.revision) });
    const rebase = rejoin.rebaseAt(b);
    assert.deepEqual(rejoin.originsTaken({ ...rebase }), new Map(), 'another rebase (a switch\'s) is not the rejoin\'s');
    assert.deepEqual(rejoin.originsTaken(rebase), new Map([[cluster.id, 42]]), "node1's revision 42, not this member's own");
    assert.deepEqual(rejoin.originsTaken(rebase), new Map(), 'told once');
  });
});
