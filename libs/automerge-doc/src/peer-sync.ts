// One sync state per peer for Automerge's sync protocol
// (docs/ARCHITECTURE.md §8.3, "Repair"). The protocol assumes a reliable,
// ordered stream: after a lost message a round must be abandoned and the
// state reset to its persisted part (the heads both sides are known to
// share), from which the next round starts over.
import { decodeSyncState, encodeSyncState, initSyncState } from '@automerge/automerge';
import type { SyncState } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';

export class PeerSync {
  /** Read and replaced by KvDocument's sync calls only. */
  state: SyncState;

  constructor(state: SyncState) {
    this.state = state;
  }
}

/** A new sync state, or one restored from `encodePeerSync` (e.g. from Postgres). */
export function createPeerSync(persisted?: Uint8Array): PeerSync {
  if (persisted === undefined) return new PeerSync(initSyncState());
  try {
    return new PeerSync(decodeSyncState(persisted));
  } catch (err) {
    throw new AutomergeDocError(`cannot decode a peer sync state: ${(err as Error).message}`, { cause: err });
  }
}

/** The persisted part only (Automerge encodes just the shared heads). */
export function encodePeerSync(sync: PeerSync): Uint8Array {
  return encodeSyncState(sync.state);
}

/** Drops everything but the persisted part, after a round that heard nothing back. */
export function resetPeerSync(sync: PeerSync): void {
  sync.state = decodeSyncState(encodeSyncState(sync.state));
}

/** Automerge's first byte of an encoded sync state. */
const syncStateType = 0x43;

/**
 * The persisted sync state of a peer known to hold `heads` (encodePeerSync's
 * form: the type byte, the number of heads as LEB128, then each 32-byte hash
 * in order), for a member that took a peer's snapshot: its first round then
 * starts from those heads instead of from nothing (docs/ARCHITECTURE.md §8.5).
 */
export function encodedPeerSyncOfHeads(heads: readonly string[]): Uint8Array {
  const sorted = [...heads].sort();
  if (!sorted.every((h) => /^[0-9a-f]{64}$/.test(h))) throw new AutomergeDocError(`not change hashes: ${sorted.join(',')}`);
  const count: number[] = [];
  let n = sorted.length;
  do {
    const low = n & 0x7f;
    n >>>= 7;
    count.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return Buffer.concat([Buffer.from([syncStateType, ...count]), ...sorted.map((h) => Buffer.from(h, 'hex'))]);
}
