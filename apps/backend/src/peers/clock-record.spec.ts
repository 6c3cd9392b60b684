import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, baseChangeHash, buildCutBase, createKvDocument, loadKvDocument, memberIdHexOf, tombstoneFloorOf } from '@eckd/automerge-doc';
import { LeaseStore } from '@eckd/mvcc';
import type { NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { ClockRecordWriter } from './clock-record.js';
import { emptyStoreOfBand } from './peer-config.js';

const selfId = '1';
const member = { name: 'node1', band: 0, clientUrls: [], peerUrls: [], learner: false, removed: false };

function stateOf(clock: HybridClock | undefined): NodeState {
  const doc = createKvDocument();
  doc.putMember(memberIdHexOf(selfId), member);
  doc.commit();
  return { store: emptyStoreOfBand(0), doc, leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock };
}

/** The tombstone floor at the document's heads: with one member, its clock record. */
const floorOf = (state: NodeState) => tombstoneFloorOf(state.doc.cutStateAt(state.doc.heads()), new Set());

describe('clock record', () => {
  test('written once per lineage, below every tag the member gives afterwards', () => {
    let wallMs = 1_000;
    const state = stateOf(new HybridClock(1n, () => wallMs));
    const writer = new ClockRecordWriter(selfId);
    assert.equal(floorOf(state), 0n, 'no record yet: the floor drops nothing');

    writer.writeIfDue(state);
    applyWrite(state, { patches: [], compactRevision: undefined }, { put: { key: Buffer.from('k'), value: Buffer.from('v') } });
    assert.ok(state.doc.commit({ member: 1n, revision: BigInt(state.store.revision) }), "the record goes with the batch's change");
    const record = floorOf(state);
    const [written] = state.doc.visibleValues('k');
    assert.ok(record > 0n && written!.tag.hlc > record, `the write's tag ${written!.tag.hlc} is above the record ${record}`);

    wallMs = 2_000;
    writer.writeIfDue(state);
    assert.equal(state.doc.commit(), undefined, 'nothing written again on the same lineage');

    // A switch to a new lineage (the document swapped for one loaded from a cut's base): written again, higher.
    const base = buildCutBase(state.doc.cutStateAt(state.doc.heads()), { cut: 1, previousLineage: baseChangeHash }, 0n);
    state.doc = loadKvDocument({ base: base.bytes });
    assert.equal(floorOf(state), record, 'the base keeps the record it had at the cut point');
    writer.writeIfDue(state);
    state.doc.commit();
    assert.ok(floorOf(state) > record);
  });

  test('a single node (no clock) writes none', () => {
    const state = stateOf(undefined);
    new ClockRecordWriter(selfId).writeIfDue(state);
    assert.equal(state.doc.commit(), undefined);
  });
});
