// Everything the backend's apply loop evaluates against: the authoritative
// key index (with history), the Automerge document, the leases, and the
// node's clock. Each write goes to all of them together.
import type { AuthState } from '@eckd/auth';
import type { HybridClock, KvDocument, TxnTag } from '@eckd/automerge-doc';
import type { Event, LeaseStore, MvccStore, RevisionPatch, WriteOp, WriteResult } from '@eckd/mvcc';

export interface NodeState {
  store: MvccStore;
  doc: KvDocument;
  leases: LeaseStore;
  /** etcd's auth store, as the document's auth records hold it (docs/ARCHITECTURE.md §5g) */
  auth: AuthState;
  now(): number;
  /** With peers: every write carries a transaction tag from this clock (docs/ARCHITECTURE.md §8.2); absent on a single node. */
  clock?: HybridClock;
  /** With peers: this member's id (16 hex digits), the owner written into the lease records it grants (docs/ARCHITECTURE.md §8.6). */
  leaseOwner?: string;
}

/** Batch-level effects collected while proposals are evaluated. */
export interface BatchEffects {
  /** Domain patches: they are valid PatchBatch input as they are. */
  patches: RevisionPatch[];
  compactRevision: number | undefined;
  /** an auth change (local or a peer's) was applied: the frontends get the new auth state */
  authChanged?: boolean;
}

/** Runs one etcd write against the node and records its revision, if it made one. */
export function applyWrite(state: NodeState, effects: BatchEffects, op: WriteOp): WriteResult {
  const write = state.store.write(op, { leaseExists: (id) => id === '0' || state.leases.has(id) || isPeerLease(state, id) });
  if (write.changed) {
    recordRevision(state, effects, write);
    // One tag per proposal: the writes of a Txn win or lose together.
    writeEvents(state.doc, write.events, state.clock && { tag: state.clock.next(), originRevision: BigInt(write.revision) });
  }
  return write;
}

/** With peers, a lease granted by another member: its record is in the document (docs/ARCHITECTURE.md §8.6). */
function isPeerLease(state: NodeState, id: string): boolean {
  return state.leaseOwner !== undefined && state.doc.lease(id) !== undefined;
}

/** A new revision, into the batch's patches and the lease attachments. */
export function recordRevision(state: NodeState, effects: BatchEffects, write: WriteResult): void {
  effects.patches.push({ revision: write.revision, events: write.events });
  state.leases.track(write.events);
}

/** A revision's events, written to the document (tagged, with peers). */
export function writeEvents(doc: KvDocument, events: readonly Event[], tagged?: { tag: TxnTag; originRevision: bigint }): void {
  for (const event of events) {
    const key = Buffer.from(event.kv.key).toString('latin1');
    if (event.type === 'PUT') {
      const lease = String(event.kv.lease ?? '0');
      if (tagged) doc.putTagged(key, event.kv.value ?? Buffer.alloc(0), lease, tagged.tag, tagged.originRevision);
      else doc.put(key, event.kv.value ?? Buffer.alloc(0), lease);
    } else if (tagged) {
      doc.deleteTagged(key, tagged.tag, tagged.originRevision);
    } else {
      doc.delete(key);
    }
  }
}
