// The base of a coordinated history cut (docs/ARCHITECTURE.md §8.10): one
// change that writes a document's state at the cut point H, identical in
// bytes on every member that holds H, whatever its history or actor. Its hash
// is the new lineage's id.
//
// What makes the bytes identical: the base actor (all zeros), sequence 1, no
// dependencies, time 0, a message naming only the cut (its number and the
// lineage it cuts), the two maps made first (so they keep the ids
// 1@base and 2@base every change addresses), then the values exactly as
// stored, keys in byte order, lease ids and root entries in string order.
// Unlike the single node's rebase (rebase.ts) values keep their tags and
// tombstones stay (down to the tombstone floor): a change made after H and
// concurrent with a value at H must still meet it by the tag rule (§8.2).
import { getBackend, init } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseActorId, kvMapId, kvMapKey, leasesMapId, leasesMapKey } from './base-change.js';
import type { CutState } from './kv-document.js';
import { decodeTaggedStoredValue } from './stored-value.js';

const cutMessagePrefix = 'eckd cut v1 ';
const changeHash = /^[0-9a-f]{64}$/;

/** Which cut a base is: its number in the cluster's sequence of cuts, and the lineage it replaces. */
export interface CutIdentity {
  /** 1 for the first cut of a cluster */
  cut: number;
  /** the lineage id before the cut (baseChangeHash before the first) */
  previousLineage: string;
}

export interface CutBase {
  bytes: Uint8Array;
  /** the new lineage id */
  lineage: string;
}

/**
 * The base of a cut at the state `state`. Tombstones whose HLC is below
 * `tombstoneFloor` are left out: every write that can still reach the new
 * lineage carries a higher tag, so it would beat them anyway.
 */
export function buildCutBase(state: CutState, identity: CutIdentity, tombstoneFloor: bigint): CutBase {
  const handle = getBackend(init({ actor: baseActorId }));
  try {
    if (handle.putObject('_root', kvMapKey, {}) !== kvMapId) throw new AutomergeDocError('cut base: unexpected kv map id');
    if (handle.putObject('_root', leasesMapKey, {}) !== leasesMapId) throw new AutomergeDocError('cut base: unexpected leases map id');
    for (let i = 0; i < state.kv.length; i++) {
      const { key, stored } = state.kv[i]!;
      if (i > 0 && !(state.kv[i - 1]!.key < key)) throw new AutomergeDocError('cut base: keys must be unique and in byte order');
      const value = decodeTaggedStoredValue(stored);
      if (value.tombstone && value.tag.hlc < tombstoneFloor) continue;
      handle.put(kvMapId, key, stored);
    }
    for (const { id, stored } of [...state.leases].sort((a, b) => compareStrings(a.id, b.id))) {
      if (typeof stored === 'number') handle.put(leasesMapId, id, stored, 'int');
      else handle.put(leasesMapId, id, stored, 'str');
    }
    for (const { key, value } of [...state.root].sort((a, b) => compareStrings(a.key, b.key))) {
      if (key === kvMapKey || key === leasesMapKey) throw new AutomergeDocError(`cut base: root entry ${key} is a map`);
      if (typeof value === 'number') handle.put('_root', key, value, 'int');
      else handle.put('_root', key, value);
    }
    const lineage = handle.commit(encodeCutMessage(identity), 0);
    const bytes = handle.getLastLocalChange();
    if (lineage === null || bytes === null) throw new AutomergeDocError('cut base: no change made');
    return { bytes, lineage };
  } finally {
    handle.free();
  }
}

export function encodeCutMessage(identity: CutIdentity): string {
  if (!Number.isSafeInteger(identity.cut) || identity.cut < 1) throw new AutomergeDocError(`cut number must be a positive integer, got ${identity.cut}`);
  if (!changeHash.test(identity.previousLineage)) throw new AutomergeDocError(`previous lineage must be a change hash, got ${JSON.stringify(identity.previousLineage)}`);
  return `${cutMessagePrefix}${identity.cut} ${identity.previousLineage}`;
}

/** The cut a base's message names; undefined for any other message (the original base, a single node's rebase). */
export function decodeCutMessage(message: string | null | undefined): CutIdentity | undefined {
  if (message === null || message === undefined || !message.startsWith(cutMessagePrefix)) return undefined;
  const [cut, previousLineage] = message.slice(cutMessagePrefix.length).split(' ');
  const identity = { cut: Number(cut), previousLineage: previousLineage ?? '' };
  if (String(identity.cut) !== cut) throw new AutomergeDocError(`not a cut message: ${message}`);
  encodeCutMessage(identity); // validates
  return identity;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
