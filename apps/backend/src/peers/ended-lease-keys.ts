// A key a peer wrote with a lease that has ended here (docs/ARCHITECTURE.md
// §8.6): member B may write a key with A's lease while A revokes or expires
// it, and A's revoke deletes only the keys A knew of. A lease's grant is an
// ancestor of every write naming it, so a key that becomes visible here
// carrying a lease no record holds names a lease that ended: it is deleted
// again, with a tagged tombstone that replicates like any write.
import type { RevisionPatch } from '@eckd/mvcc';
import type { BatchEffects, NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';

/** Deletes, in one revision, the keys `patches` made visible with a lease that no longer exists; returns how many. */
export function deleteKeysOfEndedLeases(state: NodeState, effects: BatchEffects, patches: readonly RevisionPatch[]): number {
  const keys = new Set<string>();
  for (const patch of patches) {
    for (const event of patch.events) {
      if (event.type !== 'PUT') continue;
      const lease = String(event.kv.lease ?? '0');
      if (lease === '0' || state.leases.has(lease) || state.doc.lease(lease) !== undefined) continue;
      // Still visible with that lease (a later event of the batch may have replaced it).
      if (state.store.kvAt(event.kv.key)?.lease === lease) keys.add(Buffer.from(event.kv.key).toString('latin1'));
    }
  }
  if (keys.size > 0) applyWrite(state, effects, { txn: { success: [...keys].map((key) => ({ request_delete_range: { key: Buffer.from(key, 'latin1') } })) } });
  return keys.size;
}
