// The pieces of a coordinated cut that concern members not moving with it
// (docs/ARCHITECTURE.md §8.10): the tombstone floor from clock records, the
// origin watermarks a base keeps, and a returning member re-expressing its
// own writes onto the current lineage.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseChangeHash, buildCutBase, createKvDocument, cutRecordOf, loadKvDocument, originWatermarkOf, reexpressOwnWrites, tombstoneFloorOf, withOriginWatermarks } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

const tag = (hlc: bigint, member: bigint) => ({ hlc, member });
const record = (name: string, removed = false) => ({ name, band: 0, clientUrls: [], peerUrls: [], learner: false, removed });
const [one, two, three] = ['0000000000000001', '0000000000000002', '0000000000000003'];

describe('cut floor, watermarks and re-expression', () => {
  test('the floor is the lowest clock record of the members not removed and not excluded; a member without one holds it at 0', () => {
    const doc = createKvDocument();
    doc.putMember(one, record('node1'));
    doc.putMember(two, record('node2'));
    doc.putMember(three, record('node3', true));
    doc.putClockRecord(one, 500n);
    doc.putClockRecord(three, 1n);
    doc.commit();
    assert.equal(tombstoneFloorOf(doc.cutStateAt(doc.heads()), new Set()), 0n);
    assert.equal(tombstoneFloorOf(doc.cutStateAt(doc.heads()), new Set([two])), 500n);
    doc.putClockRecord(two, 300n);
    doc.commit();
    assert.equal(tombstoneFloorOf(doc.cutStateAt(doc.heads()), new Set()), 300n);
  });

  test('a base keeps each member\'s highest origin revision inside H, never lowering what the previous base kept', () => {
    const doc = createKvDocument({ actorId: 'aa'.repeat(16) });
    doc.putTagged('k', bytes('1'), '0', tag(1n, 1n), 7n);
    doc.commit({ member: 1n, revision: 7n });
    doc.putTagged('k', bytes('2'), '0', tag(2n, 2n), 9n);
    doc.commit({ member: 2n, revision: 9n });
    const heads = doc.heads();
    doc.putTagged('k', bytes('3'), '0', tag(3n, 1n), 8n);
    doc.commit({ member: 1n, revision: 8n });
    const { origins, seqsInCut } = cutRecordOf(doc, heads);
    assert.deepEqual(origins, new Map([[one, 7n], [two, 9n]]));
    assert.deepEqual(seqsInCut, new Map([['0'.repeat(32), 1], ['aa'.repeat(16), 2]])); // the base is inside H too
    const state = withOriginWatermarks(doc.cutStateAt(heads), origins);
    const base = loadKvDocument({ base: buildCutBase(state, { cut: 1, previousLineage: baseChangeHash }, 0n).bytes });
    const next = withOriginWatermarks(base.cutStateAt(base.heads()), new Map([[one, 3n]]));
    assert.equal(originWatermarkOf(next, one), 7n);
    assert.equal(originWatermarkOf(next, two), 9n);
    assert.equal(originWatermarkOf(next, three), 0n);
  });

  test('a returning member writes again only its writes the cluster lacks, and only where they still win', () => {
    const cluster = createKvDocument({ actorId: 'aa'.repeat(16) });
    const laggard = createKvDocument({ actorId: 'bb'.repeat(16) });
    laggard.putTagged('k1', bytes('L1'), '0', tag(10n, 2n), 1n);
    const first = laggard.commit({ member: 2n, revision: 1n })!.bytes;
    cluster.applyPeerChanges([first]);
    // Cut off: the laggard goes on alone.
    laggard.putTagged('k2', bytes('L2'), '0', tag(30n, 2n), 2n);
    laggard.deleteTagged('k3', tag(31n, 2n), 2n);
    laggard.deleteTagged('k5', tag(32n, 2n), 2n);
    laggard.putLease('77', 60, two);
    const second = laggard.commit({ member: 2n, revision: 2n })!.bytes;
    cluster.putTagged('k1', bytes('C1'), '0', tag(20n, 1n), 5n);
    cluster.putTagged('k3', bytes('C3'), '0', tag(40n, 1n), 5n);
    cluster.putTagged('k5', bytes('C5'), '0', tag(25n, 1n), 5n);
    cluster.commit({ member: 1n, revision: 5n });
    // The cluster cuts and lets the old lineage go; the laggard takes the current document.
    const { origins } = cutRecordOf(cluster, cluster.heads());
    const state = withOriginWatermarks(cluster.cutStateAt(cluster.heads()), origins);
    const base = buildCutBase(state, { cut: 1, previousLineage: baseChangeHash }, 0n).bytes;
    const current = loadKvDocument({ base, actorId: 'cc'.repeat(16) });
    const result = reexpressOwnWrites(current, [first, second], originWatermarkOf(current.cutStateAt(current.heads()), two));
    assert.deepEqual(result, { written: ['k2', 'k5'], lost: ['k3'] });
    const change = current.commit({ member: 2n, revision: 2n })!.bytes;
    assert.deepEqual(current.leases(), [{ id: '77', ttl: 60, owner: two }]);
    const elsewhere = loadKvDocument({ base });
    elsewhere.applyPeerChanges([change]);
    for (const doc of [current, elsewhere]) {
      assert.deepEqual(
        doc.keys().map((k) => `${k}=${new TextDecoder().decode(doc.get(k)!.value)}`),
        ['k1=C1', 'k2=L2', 'k3=C3'],
      );
    }
    assert.deepEqual(snapshot(elsewhere), snapshot(current));
  });
});
