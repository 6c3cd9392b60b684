// Rebuilds the node's state from the persister: the Automerge document from
// every stored change, the key index and its history from every stored
// PatchBatch, in revision order.
import { loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { MvccStore } from '@eckd/mvcc';
import type { RevisionPatch } from '@eckd/mvcc';
import type { Logger, NatsConnection } from '@eckd/service-kit';
import { requestChunks } from '@eckd/service-kit';

export interface RecoveredState {
  store: MvccStore;
  doc: KvDocument;
}

export async function recoverState(nc: NatsConnection, loadSubject: string, chunkTimeoutMs: number, log: Logger): Promise<RecoveredState> {
  const started = Date.now();
  const changes: Uint8Array[] = [];
  const store = new MvccStore();
  let patches = 0;
  for await (const chunk of requestChunks<LoadChunk>(nc, loadSubject, codecs.loadRequest.encode({}), {
    decode: (b) => codecs.loadChunk.decode(b),
    isLast: (c) => c.done,
    chunkTimeoutMs,
  })) {
    if (chunk.error) throw new Error(`backend: recovery failed at the persister: ${chunk.error.message}`);
    changes.push(...chunk.changes);
    for (const bytes of chunk.patch_batches) {
      for (const p of codecs.patchBatch.decode(bytes).patches) {
        store.applyRevision({ revision: Number(p.revision), events: p.events } as unknown as RevisionPatch);
        patches++;
      }
    }
  }
  const doc = loadKvDocument({ changes });
  log.info('recovered', { revision: store.revision, changes: changes.length, revisions: patches, keys: store.keyCount(), ms: Date.now() - started });
  return { store, doc };
}
