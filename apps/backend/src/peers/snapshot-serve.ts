// The serving side of the snapshot join (docs/ARCHITECTURE.md §8.5): a peer
// with an empty database asks for this member's document. It is saved
// between batches (a NATS callback runs while the apply loop waits, when the
// document has no pending writes, as the sync rounds' timer does), so the
// saved bytes and their heads are one consistent state; the save holds the
// event loop, and with it the apply loop, for its duration (measured:
// eckd_peer_snapshot_save_seconds, docs/BENCHMARKS.md "Several members").
import { AutomergeDocError } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import type { SnapshotChunk } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import type { RpcErrorName } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import { counter, histogram, latencySecondsBuckets } from '@eckd/telemetry';
import type { PeerMember } from './peer-link.js';
import type { SnapshotLimits } from './peer-config.js';
import { snapshotChunks } from './snapshot-stream.js';

const served = counter('eckd_peer_snapshots_served_total', 'Snapshots of the document this member served to a joining peer (ARCHITECTURE §8.5).');
const saveSeconds = histogram('eckd_peer_snapshot_save_seconds', "The document's save for a snapshot: the apply loop waits for it.", latencySecondsBuckets);

/** Chunks sent between flushes, so a large snapshot streams instead of piling up in the client (as the load stream). */
const chunksPerFlush = 16;

export interface SnapshotReply {
  send(chunk: SnapshotChunk): void;
  flush(): Promise<void>;
}

export class SnapshotServer {
  readonly #limits: Pick<SnapshotLimits, 'bytesMax' | 'servesMax'>;
  readonly #log: Logger;
  #serving = 0;

  constructor(limits: Pick<SnapshotLimits, 'bytesMax' | 'servesMax'>, log: Logger) {
    this.#limits = limits;
    this.#log = log;
  }

  /**
   * Saves `doc` and streams it to `to`, with this member's persisted sync
   * state with each other peer (`syncStates`, `to`'s own left out), or
   * answers one error chunk: too many snapshots being served, or a
   * document over ECKD_SNAPSHOT_BYTES_MAX.
   */
  async serve(to: PeerMember, doc: KvDocument, syncStates: readonly { member: string; state: Uint8Array }[], reply: SnapshotReply): Promise<void> {
    if (this.#serving >= this.#limits.servesMax) {
      this.#log.warn('snapshot refused: serving as many as ECKD_SNAPSHOT_SERVES_MAX', { to: to.name, serving: this.#serving });
      reply.send(errorChunk('TooManyRequests'));
      return;
    }
    this.#serving++;
    try {
      const started = performance.now();
      let document: Uint8Array;
      let heads: string[];
      try {
        document = doc.save();
        heads = doc.heads();
      } catch (err) {
        if (!(err instanceof AutomergeDocError)) throw err;
        // Pending writes: not between batches after all; the joiner asks again.
        this.#log.warn('snapshot not taken', { to: to.name, err });
        reply.send(errorChunk('Timeout'));
        return;
      }
      const saveMs = performance.now() - started;
      saveSeconds.record(saveMs / 1000);
      if (document.length > this.#limits.bytesMax) {
        this.#log.warn('snapshot refused: the document is larger than ECKD_SNAPSHOT_BYTES_MAX', { to: to.name, bytes: document.length, bytesMax: this.#limits.bytesMax });
        reply.send(errorChunk('RequestTooLarge'));
        return;
      }
      let chunks = 0;
      for (const chunk of snapshotChunks({ document, heads, peerSyncStates: syncStates.filter((s) => s.member !== to.id), lineage: doc.lineage() })) {
        reply.send(chunk);
        if (++chunks % chunksPerFlush === 0) await reply.flush();
      }
      served.add(1);
      this.#log.info('snapshot served', { to: to.name, bytes: document.length, chunks, heads: heads.length, saveMs: Math.round(saveMs) });
    } finally {
      this.#serving--;
    }
  }
}

function errorChunk(name: RpcErrorName): SnapshotChunk {
  return { index: 0, done: true, error: { name, message: rpcErrors[name].message }, document: Buffer.alloc(0), heads: [], document_bytes: 0, peer_sync_states: [] };
}
