// A removed member's leases (docs/ARCHITECTURE.md §8.5): only a lease's
// owner expires it (§8.6), so a removed member's leases would never end.
// The member that executes the removal revokes them in the same batch: each
// lease's keys are deleted in one revision (tagged tombstones, so they
// replicate and conflict like any write) and its record is deleted.
import type { KvDocument, LeaseRecord } from '@eckd/automerge-doc';
import type { LeaseStore } from '@eckd/mvcc';
import { revoke } from '../lease-ops.js';
import type { BatchEffects, NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';

/** Whether `record` belongs to the member with this id and band (an owner-less record is the founding member's, band 0). */
export function ownedBy(record: LeaseRecord, member: { idHex: string; band: number }): boolean {
  return record.owner === undefined ? member.band === 0 : record.owner === member.idHex;
}

/** Revokes every lease the removed member owns; `self`: the removed member is this one (its own lease store holds them). */
export function revokeLeasesOf(state: NodeState, effects: BatchEffects, removed: { idHex: string; band: number }, self: boolean): number {
  const owned = leasesOf(state.doc, removed);
  for (const { id } of owned) {
    if (self && state.leases.has(id)) {
      revoke(state, effects, id);
      continue;
    }
    deleteKeysCarrying(state, effects, state.leases, id);
    state.doc.deleteLease(id);
  }
  return owned.length;
}

function leasesOf(doc: KvDocument, member: { idHex: string; band: number }): LeaseRecord[] {
  return doc.leases().filter((r) => ownedBy(r, member));
}

function deleteKeysCarrying(state: NodeState, effects: BatchEffects, leases: LeaseStore, id: string): void {
  const keys = leases.keysCarrying(id);
  if (keys.length === 0) return;
  applyWrite(state, effects, { txn: { success: keys.map((k) => ({ request_delete_range: { key: Buffer.from(k, 'latin1') } })) } });
}
