// Cutting the document's history. Automerge keeps every change in memory,
// so a node's document would grow with every write ever made. A rebase
// replaces the whole history with one change that writes the current state:
// made by the base actor with no dependencies, time 0, keys and leases in
// byte order, so every node holding the same state makes byte-identical
// bytes (the same hash) and can move to it without exchanging it. The maps
// get the same ids as in the original base, so code addressing them does
// not change.
import { getBackend, init } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseActorId, kvMapId, kvMapKey, leasesMapId, leasesMapKey } from './base-change.js';
import type { KvDocument } from './kv-document.js';
import { encodeMemberRecord, memberKey } from './member-record.js';
import type { MemberRecord } from './member-record.js';
import { encodeStoredValue } from './stored-value.js';

export const rebaseMessage = 'eckd rebase v1';

/** A node's state as the rebase writes it. */
export interface RebaseState {
  /** Latin-1 keys in byte order, each with its value and lease ("0": none) */
  keys: readonly string[];
  values: readonly Uint8Array[];
  keyLeases: readonly string[];
  /** granted leases: id (decimal) and TTL in seconds, any order */
  leases: readonly { id: string; ttl: number }[];
  /** the member table (member-record.ts), any order; none leaves the base as before members existed */
  members?: readonly { id: string; record: MemberRecord }[];
  /** the auth records (users, roles, the flag), any order */
  authRecords?: readonly { key: string; value: string }[];
}

/**
 * The deterministic rebase change for `doc`'s current (committed) state.
 * Visible values only, untagged: tags, tombstones and the tagged mark are
 * not kept, which is right for a single node; with peers the cut is a
 * cluster operation not built yet (docs/ARCHITECTURE.md §5b, §8.2).
 */
export function rebaseChange(doc: KvDocument): { bytes: Uint8Array; hash: string } {
  const keys = doc.keys();
  const stored = keys.map((key) => doc.get(key)!);
  return rebaseChangeOf({
    keys,
    values: stored.map((s) => s.value),
    keyLeases: stored.map((s) => s.lease),
    leases: doc.leases(),
    members: doc.members(),
    authRecords: doc.authRecords(),
  });
}

/**
 * The same change, made from the state alone (no document needed, so it can
 * be built away from the document's thread). Keys must come in byte order.
 */
export function rebaseChangeOf(state: RebaseState): { bytes: Uint8Array; hash: string } {
  const handle = getBackend(init({ actor: baseActorId }));
  try {
    if (handle.putObject('_root', kvMapKey, {}) !== kvMapId) throw new AutomergeDocError('rebase: unexpected kv map id');
    if (handle.putObject('_root', leasesMapKey, {}) !== leasesMapId) throw new AutomergeDocError('rebase: unexpected leases map id');
    for (let i = 0; i < state.keys.length; i++) {
      if (i > 0 && !(state.keys[i - 1]! < state.keys[i]!)) throw new AutomergeDocError('rebase: keys must be unique and in byte order');
      handle.put(kvMapId, state.keys[i]!, encodeStoredValue(state.values[i]!, state.keyLeases[i]!));
    }
    for (const { id, ttl } of [...state.leases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      handle.put(leasesMapId, id, ttl, 'int');
    }
    for (const { id, record } of [...(state.members ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      handle.put('_root', memberKey(id), encodeMemberRecord(record));
    }
    for (const { key, value } of [...(state.authRecords ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      handle.put('_root', key, value);
    }
    const hash = handle.commit(rebaseMessage, 0);
    const bytes = handle.getLastLocalChange();
    if (hash === null || bytes === null) throw new AutomergeDocError('rebase: no change made');
    return { bytes, hash };
  } finally {
    handle.free();
  }
}
