// Everything the backend's apply loop evaluates against: the authoritative
// key index (with history), the Automerge document, the leases, and the
// node's clock. Each write goes to all of them together.
import type { KvDocument } from '@eckd/automerge-doc';
import type { Event, LeaseStore, MvccStore, RevisionPatch, WriteOp, WriteResult } from '@eckd/mvcc';

export interface NodeState {
  store: MvccStore;
  doc: KvDocument;
  leases: LeaseStore;
  now(): number;
}

/** Batch-level effects collected while proposals are evaluated. */
export interface BatchEffects {
  /** Domain patches: they are valid PatchBatch input as they are. */
  patches: RevisionPatch[];
  compactRevision: number | undefined;
}

/** Runs one etcd write against the node and records its revision, if it made one. */
export function applyWrite(state: NodeState, effects: BatchEffects, op: WriteOp): WriteResult {
  const write = state.store.write(op, { leaseExists: (id) => id === '0' || state.leases.has(id) });
  if (write.changed) {
    effects.patches.push({ revision: write.revision, events: write.events });
    state.leases.track(write.events);
    writeEvents(state.doc, write.events);
  }
  return write;
}

/** A revision's events, written to the document. */
export function writeEvents(doc: KvDocument, events: readonly Event[]): void {
  for (const event of events) {
    const key = Buffer.from(event.kv.key).toString('latin1');
    if (event.type === 'PUT') doc.put(key, event.kv.value ?? Buffer.alloc(0), String(event.kv.lease ?? '0'));
    else doc.delete(key);
  }
}
