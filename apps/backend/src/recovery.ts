// Rebuilds the node's state from the persister: the Automerge document from
// every stored change, the key index and its history from every stored
// PatchBatch, in revision order.
import { loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { LeaseStore, MvccStore } from '@eckd/mvcc';
import type { RevisionPatch } from '@eckd/mvcc';
import type { Logger, Messenger } from '@eckd/service-kit';

export interface RecoveredState {
  store: MvccStore;
  doc: KvDocument;
  leases: LeaseStore;
}

export async function recoverState(messenger: Messenger, loadSubject: string, chunkTimeoutMs: number, log: Logger): Promise<RecoveredState> {
  const started = Date.now();
  const changes: Uint8Array[] = [];
  const store = new MvccStore();
  let patches = 0;
  let last: LoadChunk | undefined;
  for await (const msg of messenger.requestStream(loadSubject, codecs.loadRequest.encode({}), { chunkTimeoutMs })) {
    const chunk = (last = codecs.loadChunk.decode(msg.data));
    if (chunk.error) throw new Error(`backend: recovery failed at the persister: ${chunk.error.message}`);
    changes.push(...chunk.changes);
    for (const bytes of chunk.patch_batches) {
      for (const p of codecs.patchBatch.decode(bytes).patches) {
        store.applyRevision({ revision: Number(p.revision), events: p.events } as unknown as RevisionPatch);
        patches++;
      }
    }
    if (chunk.done) break;
  }
  if (last?.compacted) store.compact(Number(last.compact_revision));
  const doc = loadKvDocument({ changes });
  if (doc.size() !== store.keyCount()) {
    // The document and the revision log were written in the same transactions; a mismatch is corruption.
    throw new Error(`backend: recovered document has ${doc.size()} keys but the revision log has ${store.keyCount()}`);
  }
  const leases = restoreLeases(store, doc, Date.now());
  log.info('recovered', { revision: store.revision, changes: changes.length, revisions: patches, keys: store.keyCount(), leases: leases.size, ms: Date.now() - started });
  return { store, doc, leases };
}

/**
 * Leases come back from the document with a full TTL each, as etcd renews
 * every lease after a leader change; their keys are found in the key index.
 */
function restoreLeases(store: MvccStore, doc: KvDocument, nowMs: number): LeaseStore {
  const leases = new LeaseStore();
  for (const { id, ttl } of doc.leases()) leases.restore(id, ttl, nowMs);
  const all = store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) } as never);
  for (const kv of all.kvs as { key: Buffer; lease: string }[]) if (kv.lease !== '0') leases.attach(kv.key.toString('latin1'), kv.lease);
  return leases;
}
