import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { KvError, MvccStore } from '@eckd/mvcc';
import type { RevisionPatch } from '@eckd/mvcc';
import { RecoveryAssembler, RecoveryError, restoreLeases } from './recovery.js';

/** Three batches (revisions 2..3, 4, 5..6) written as the backend would, and a snapshot taken at the end of the second. */
function history() {
  const doc = createKvDocument();
  const store = new MvccStore();
  const rows: Uint8Array[] = [];
  const changes: Uint8Array[] = [];
  const batch = (keys: string[]) => {
    const patches: RevisionPatch[] = [];
    for (const key of keys) {
      const w = store.write({ put: { key: Buffer.from(key), value: Buffer.from(`${key}@${store.revision + 1}`) } }, { leaseExists: () => true });
      patches.push({ revision: w.revision, events: w.events });
      doc.put(key, Buffer.from(`${key}@${w.revision}`), '0');
    }
    changes.push(doc.commit()!.bytes);
    rows.push(codecs.patchBatch.encode({ patches: patches as never[], identity: null, compact_revision: -1 }));
  };
  batch(['a', 'b']);
  batch(['a']);
  const saved = Buffer.from(doc.save());
  const heads = doc.heads();
  const kvs = store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) }).kvs;
  const index = Buffer.from(codecs.snapshotIndex.encode({ revision: 4, compact_revision: 4, kvs: kvs as never[] }));
  batch(['c', 'a']);
  store.compact(4);
  return { doc, store, rows, changes, saved, heads, index };
}

function chunk(index: number, fields: Partial<LoadChunk>): LoadChunk {
  return { index, done: false, changes: [], patch_batches: [], compacted: false, compact_revision: 0, ...fields };
}

describe('recovery from a snapshot', () => {
  test('document pieces, key index, later changes and patches rebuild the state', () => {
    const h = history();
    const header = { through_revision: 4, index_revision: 4, compact_revision: 4, heads: h.heads, document_bytes: h.saved.length, index_bytes: h.index.length };
    const r = new RecoveryAssembler();
    r.accept(chunk(0, { snapshot: header, snapshot_document: h.saved.subarray(0, 10) }));
    r.accept(chunk(1, { snapshot_document: h.saved.subarray(10), snapshot_index: h.index }));
    // The stream's log starts with the row ending at the index revision (its revision 4 is kept for watches).
    r.accept(chunk(2, { changes: [h.changes[2]!], patch_batches: [h.rows[1]!, h.rows[2]!], done: true, compacted: true, compact_revision: 4 }));
    const { store, doc, stats } = r.finish();
    assert.equal(store.revision, 6);
    assert.equal(store.compactRevision, 4);
    const all = (s: MvccStore, revision = 0) => s.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision }).kvs;
    assert.deepEqual(all(store), all(h.store));
    assert.deepEqual(all(store, 4), all(h.store, 4));
    assert.deepEqual(store.eventsBetween(4, 6), h.store.eventsBetween(4, 6), 'a watch from the compact revision replays it');
    assert.deepEqual(doc.keys(), ['a', 'b', 'c']);
    assert.deepEqual(doc.heads().sort(), h.doc.heads().sort());
    assert.deepEqual([stats['snapshotRevision'], stats['changes'], stats['revisions']], [4, 1, 2]);
  });

  test('without a snapshot every change and revision is replayed', () => {
    const h = history();
    const r = new RecoveryAssembler();
    r.accept(chunk(0, { changes: h.changes, patch_batches: h.rows, done: true, compacted: true, compact_revision: 4 }));
    const { store, doc } = r.finish();
    assert.equal(store.revision, 6);
    assert.equal(doc.size(), 3);
  });

  test('a truncated snapshot, chunks out of order and a gap in the log are refused', () => {
    const h = history();
    const header = { through_revision: 4, index_revision: 4, compact_revision: 4, heads: h.heads, document_bytes: h.saved.length + 1, index_bytes: h.index.length };
    const short = new RecoveryAssembler();
    short.accept(chunk(0, { snapshot: header, snapshot_document: h.saved, snapshot_index: h.index, done: true }));
    assert.throws(() => short.finish(), RecoveryError);
    assert.throws(() => new RecoveryAssembler().accept(chunk(1, {})), RecoveryError);
    const gap = new RecoveryAssembler();
    gap.accept(chunk(0, { patch_batches: [h.rows[0]!] }));
    assert.throws(() => gap.accept(chunk(1, { patch_batches: [h.rows[2]!] })), KvError);
  });
});

describe('lease recovery', () => {
  const self = { memberHex: '00000000000000b1', band: 1 };
  const peerHex = '00000000000000a0';

  test("a member restores its own leases only: a peer's record (and an owner-less one, band 0's) stays in the document, its keys unattached", () => {
    const doc = createKvDocument();
    doc.putLease('1', 10, self.memberHex);
    doc.putLease('2', 10, peerHex);
    doc.putLease('3', 10);
    const kvs = [
      { key: Buffer.from('mine'), lease: '1' },
      { key: Buffer.from('theirs'), lease: '2' },
    ];
    const leases = restoreLeases(doc, kvs, 0, self);
    assert.deepEqual(leases.ids(), ['1']);
    assert.deepEqual(leases.keysOf('1'), ['mine']);
    assert.deepEqual(leases.expired(60_000), ['1'], 'only its own lease ever expires here');
    assert.equal(leases.timeToLive('2', 0).ttl, -1);
  });

  test('the founding member (band 0) restores owner-less records, as a single node does', () => {
    const doc = createKvDocument();
    doc.putLease('3', 10);
    doc.putLease('2', 10, peerHex.replace('a0', 'b1'));
    assert.deepEqual(restoreLeases(doc, [], 0, { memberHex: peerHex, band: 0 }).ids(), ['3']);
  });
});
