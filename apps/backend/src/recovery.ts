// Rebuilds the node's state from the persister: the Automerge document from
// every stored change, the key index and its history from every stored
// PatchBatch, in revision order.
import { loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { MvccStore } from '@eckd/mvcc';
import type { RevisionPatch } from '@eckd/mvcc';
import type { Logger, Messenger } from '@eckd/service-kit';

export interface RecoveredState {
  store: MvccStore;
  doc: KvDocument;
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
  log.info('recovered', { revision: store.revision, changes: changes.length, revisions: patches, keys: store.keyCount(), ms: Date.now() - started });
  return { store, doc };
}
