// persister.load: streams everything the backend needs to recover, as
// chunks under the NATS payload limit, all read in one repeatable-read
// transaction (so a compaction committing meanwhile is either wholly seen
// or not at all):
//   1. the latest snapshot, if any: its header on the first chunk, then the
//      pieces of its saved document, then of its key index;
//   2. every stored Automerge change of the snapshot's lineage (those it
//      covers were deleted with its insert; a late duplicate is harmless,
//      Automerge ignores it; another lineage's could never apply, §8.10);
//   3. every stored PatchBatch from the snapshot's index revision on (the
//      row ending there carries the events a watch at that revision needs);
//   4. the stored compact revision, the peers' sync states, the voter
//      states of the cut agreement and the record of the cut that made the
//      snapshot's lineage (§8.10), on the last chunk.
// First it claims the next fencing epoch for the loading backend (sent on
// the last chunk): that waits for an append in flight, and the read starts
// after the claim, so it sees every append a previous backend got stored;
// from then on the previous backend's appends are refused (ARCHITECTURE §6a).
import { ChunkBudget, codecs, cutCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import {
  claimFencingEpoch,
  latestSnapshotInfo,
  readCompactRevision,
  readCutAcceptorStates,
  readCutRecord,
  readLogRows,
  readPeerSyncStates,
  readSnapshotKeyIndex,
  readSnapshotPieces,
  readStoredChanges,
  withConsistentRead,
} from '@eckd/storage';
import type { SnapshotInfo } from '@eckd/storage';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import type pg from 'pg';

/** Chunks sent between flushes, so a large state streams instead of piling up in the client. */
const chunksPerFlush = 16;

export function createLoadHandler(messenger: Messenger, pool: pg.Pool, chunkBytes: number, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    const writer = new LoadChunkWriter(chunkBytes, async (chunk) => {
      msg.respond(codecs.loadChunk.encode(chunk));
      if (chunk.index % chunksPerFlush === chunksPerFlush - 1) await messenger.flush();
    });
    try {
      const request = decodeChecked(msg, codecs.loadRequest, validators.loadRequest, log);
      const fencingEpoch = await claimFencingEpoch(pool);
      log.info('fencing epoch claimed', { backend: request.backend, fencingEpoch });
      const stats = await withConsistentRead(pool, (client) => streamRecovery(client, writer, chunkBytes, fencingEpoch));
      log.info('recovery data sent', { chunks: writer.sent, fencingEpoch, ...stats });
    } catch (err) {
      log.error('load failed', { err });
      msg.respond(codecs.loadChunk.encode({ ...emptyChunk(writer.sent), done: true, error: unknownWireError(err) }));
    }
  };
}

async function streamRecovery(client: pg.PoolClient, writer: LoadChunkWriter, chunkBytes: number, fencingEpoch: number) {
  const snapshot = await latestSnapshotInfo(client);
  if (snapshot) {
    writer.setSnapshot(snapshotHeader(snapshot));
    for await (const piece of readSnapshotPieces(client, snapshot.throughRevision, 'document', chunkBytes)) await writer.addPiece('snapshot_document', piece);
    const index = await readSnapshotKeyIndex(client, snapshot.throughRevision);
    for (let at = 0; at < index.length; at += chunkBytes) await writer.addPiece('snapshot_index', index.subarray(at, at + chunkBytes));
  }
  let changes = 0;
  for await (const page of readStoredChanges(client, { lineage: snapshot?.lineage })) {
    for (const c of page) await writer.add('changes', c.change);
    changes += page.length;
  }
  let logRows = 0;
  for await (const page of readLogRows(client, { fromRevision: snapshot?.indexRevision ?? 0 })) {
    for (const row of page) await writer.add('patch_batches', row.patches);
    logRows += page.length;
  }
  const peerSyncStates = (await readPeerSyncStates(client)).map((s) => ({ member: s.member, state: s.state }));
  const cutAcceptorStates = (await readCutAcceptorStates(client)).map((s) => cutCodecs.cutAcceptorState.decode(s));
  const cutRecord = await readCutRecord(client, snapshot?.lineage);
  await writer.finish(await readCompactRevision(client), fencingEpoch, { peerSyncStates, cutAcceptorStates, cutRecord: cutRecord && cutCodecs.cutRecord.decode(cutRecord) });
  return { snapshotRevision: snapshot?.throughRevision ?? 0, changes, logRows };
}

function snapshotHeader(s: SnapshotInfo): NonNullable<LoadChunk['snapshot']> {
  return {
    through_revision: s.throughRevision,
    index_revision: s.indexRevision,
    compact_revision: s.compactRevision,
    heads: s.heads,
    document_bytes: s.documentBytes,
    index_bytes: s.indexBytes,
  };
}

function emptyChunk(index: number): LoadChunk {
  return { index, done: false, changes: [], patch_batches: [], compacted: false, compact_revision: 0 };
}

/** Fills chunks up to about `chunkBytes` and sends each when full. */
class LoadChunkWriter {
  sent = 0;
  #current = emptyChunk(0);
  readonly #budget: ChunkBudget;

  constructor(
    chunkBytes: number,
    private readonly send: (chunk: LoadChunk) => Promise<void>,
  ) {
    this.#budget = new ChunkBudget(chunkBytes);
  }

  setSnapshot(header: NonNullable<LoadChunk['snapshot']>): void {
    if (this.sent !== 0) throw new Error('persister: the snapshot header goes on the first chunk');
    this.#current.snapshot = header;
  }

  /** One piece per field per chunk: pieces of a field arrive in chunk order. */
  async addPiece(field: 'snapshot_document' | 'snapshot_index', piece: Buffer): Promise<void> {
    if (this.#current[field]?.length || this.#budget.isFullFor(piece.length)) await this.#flush();
    this.#current[field] = piece;
    this.#budget.add(piece.length);
  }

  async add(field: 'changes' | 'patch_batches', bytes: Buffer): Promise<void> {
    if (this.#budget.isFullFor(bytes.length)) await this.#flush();
    this.#current[field].push(bytes);
    this.#budget.add(bytes.length);
  }

  async finish(
    compactRevision: number | undefined,
    fencingEpoch: number,
    stored: { peerSyncStates: NonNullable<LoadChunk['peer_sync_states']>; cutAcceptorStates: NonNullable<LoadChunk['cut_acceptor_states']>; cutRecord: LoadChunk['cut_record'] },
  ): Promise<void> {
    this.#current.done = true;
    this.#current.fencing_epoch = fencingEpoch;
    this.#current.peer_sync_states = stored.peerSyncStates;
    this.#current.cut_acceptor_states = stored.cutAcceptorStates;
    this.#current.cut_record = stored.cutRecord ?? null;
    this.#current.compacted = compactRevision !== undefined;
    this.#current.compact_revision = compactRevision ?? 0;
    await this.#flush();
  }

  async #flush(): Promise<void> {
    const chunk = this.#current;
    this.sent++;
    this.#current = emptyChunk(this.sent);
    this.#budget.reset();
    await this.send(chunk);
  }
}
