// The snapshot stream of the snapshot join (docs/ARCHITECTURE.md §8.5): a
// member's saved document cut into SnapshotChunks of at most 512 KiB, the
// first carrying the heads, the whole size, the server's sync states with
// its other peers and the document's lineage (§8.10); and the joiner's side, which takes them in order and
// refuses anything out of order, over its size bound or not adding up.
import { originalLineage } from '@eckd/automerge-doc';
import type { Lineage } from '@eckd/automerge-doc';
import { messageLimits } from '@eckd/change-codec';
import type { PeerSyncState, SnapshotChunk } from '@eckd/change-codec';
import { lineageOfStamp, stampOf } from './lineage-stamp.js';

/** Document bytes per chunk: under NATS's 1 MiB payload, like the load stream. */
export const snapshotChunkBytes = messageLimits.snapshotChunkBytesMax;

/** What the joiner stores and starts from. */
export interface PeerSnapshot {
  /** Automerge save() of the serving member's document */
  document: Uint8Array;
  heads: string[];
  /** the server's persisted sync state with each of its other peers (member id, decimal) */
  peerSyncStates: { member: string; state: Uint8Array }[];
  /** the lineage the document is on: the joiner checks the document it loads against it */
  lineage: Lineage;
}

/** The chunks of one snapshot, in order; at least one. */
export function* snapshotChunks(snapshot: PeerSnapshot, chunkBytes = snapshotChunkBytes): Generator<SnapshotChunk> {
  const { document } = snapshot;
  const count = Math.max(1, Math.ceil(document.length / chunkBytes));
  for (let index = 0; index < count; index++) {
    const first = index === 0;
    yield {
      index,
      done: index === count - 1,
      document: document.subarray(index * chunkBytes, (index + 1) * chunkBytes),
      heads: first ? snapshot.heads : [],
      document_bytes: first ? document.length : 0,
      peer_sync_states: first ? snapshot.peerSyncStates.map((s) => ({ member: s.member, state: s.state })) : [],
      ...(first ? stampOf(snapshot.lineage) : {}),
    };
  }
}

export class SnapshotStreamError extends Error {
  override name = 'SnapshotStreamError';
}

/** Takes one stream's chunks in order; `finish` gives the snapshot once the last one came. */
export class SnapshotAssembler {
  readonly #bytesMax: number;
  readonly #pieces: Uint8Array[] = [];
  #expected = 0;
  #received = 0;
  #total = 0;
  #heads: string[] = [];
  #peerSyncStates: PeerSyncState[] = [];
  #lineage: Lineage = originalLineage;
  #done = false;

  /** `bytesMax`: the largest document taken (ECKD_SNAPSHOT_BYTES_MAX). */
  constructor(bytesMax: number) {
    this.#bytesMax = bytesMax;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Throws SnapshotStreamError (the stream is abandoned) on an error chunk, a chunk out of order or a size over the bound. */
  accept(chunk: SnapshotChunk): void {
    if (this.#done) throw new SnapshotStreamError('snapshot chunk after the last one');
    if (chunk.error) throw new SnapshotStreamError(`the serving member refused: ${chunk.error.message}`);
    if (chunk.index !== this.#expected++) throw new SnapshotStreamError(`snapshot chunk ${chunk.index} arrived, expected ${this.#expected - 1}`);
    if (chunk.index === 0) {
      this.#total = Number(chunk.document_bytes);
      this.#heads = chunk.heads;
      this.#peerSyncStates = chunk.peer_sync_states;
      this.#lineage = lineageOfStamp(chunk);
      if (this.#total > this.#bytesMax) throw new SnapshotStreamError(`the snapshot is ${this.#total} bytes, more than ECKD_SNAPSHOT_BYTES_MAX (${this.#bytesMax})`);
    }
    this.#received += chunk.document.length;
    if (this.#received > this.#total) throw new SnapshotStreamError(`snapshot chunks carry more than the ${this.#total} bytes announced`);
    this.#pieces.push(chunk.document);
    if (chunk.done) {
      if (this.#received !== this.#total) throw new SnapshotStreamError(`snapshot ended after ${this.#received} of ${this.#total} bytes`);
      this.#done = true;
    }
  }

  finish(): PeerSnapshot {
    if (!this.#done) throw new SnapshotStreamError(`snapshot stream ended after ${this.#expected} chunks, before its last one`);
    return {
      document: Buffer.concat(this.#pieces.splice(0)),
      heads: this.#heads,
      peerSyncStates: this.#peerSyncStates.map((s) => ({ member: String(s.member), state: s.state })),
      lineage: this.#lineage,
    };
  }
}
