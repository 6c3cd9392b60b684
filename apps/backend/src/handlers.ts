// The backend's NATS endpoints: propose (into the apply loop), read-index
// (the published revision) and sync (the replica state, or the revisions
// after the replica's, chunked).
import { codecs, payloadHeadroomBytes, validators } from '@eckd/change-codec';
import type { NodeIdentity, SyncChunk, SyncRequest } from '@eckd/change-codec';
import { KvError } from '@eckd/mvcc';
import type { MvccState, MvccStore, RevisionPatch } from '@eckd/mvcc';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import { contextFromHeaders } from '@eckd/telemetry';
import type { ApplyLoop } from './apply-loop.js';

export function handlePropose(loop: ApplyLoop, log: Logger): (msg: Message) => void {
  return (msg) => {
    try {
      const request = decodeChecked(msg, codecs.proposeRequest, validators.proposeRequest, log);
      loop.enqueue({ msg, request, trace: contextFromHeaders(msg.header) });
    } catch (err) {
      log.warn('bad propose message', { err });
      msg.respond(codecs.proposeReply.encode({ results: [], error: { name: 'InvalidArgument', message: (err as Error).message } }));
    }
  };
}

export function handleReadIndex(loop: ApplyLoop, identity: NodeIdentity): (msg: Message) => void {
  return (msg) => msg.respond(codecs.readIndexReply.encode({ revision: loop.publishedRevision, epoch: identity.epoch }));
}

/**
 * Sends the replica state as of the published revision: the live keys at
 * the compacted revision, then every published revision after it; or, when
 * the replica can take them, only the published revisions after its own.
 * Revisions evaluated but not yet durable are left out.
 */
export function handleSync(messenger: Messenger, store: MvccStore, loop: ApplyLoop, identity: NodeIdentity, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    const published = loop.publishedRevision;
    const since = patchesSince(msg, store, identity, published, log);
    const state: Pick<MvccState, 'compactRevision' | 'base' | 'patches'> = since
      ? { compactRevision: store.compactRevision, base: [], patches: since }
      : store.exportState();
    const patches = state.patches.filter((p) => p.revision <= published);
    const budget = syncChunkBytes - payloadHeadroomBytes;
    const chunks: SyncChunk[] = [];
    let current = newChunk(0);
    let size = 0;
    const push = (field: 'base' | 'patches', item: never, itemSize: number) => {
      if (size > 0 && size + itemSize > budget) {
        chunks.push(current);
        current = newChunk(chunks.length);
        size = 0;
      }
      (current[field] as unknown[]).push(item);
      size += itemSize;
    };
    for (const kv of state.base) push('base', kv as never, kvSize(kv));
    for (const p of patches) push('patches', p as never, p.events.reduce((n, e) => n + kvSize(e.kv) + 8, 16));
    current.done = true;
    chunks.push(current);
    log.info('sync sent', { revision: published, incremental: since !== undefined, chunks: chunks.length, base: state.base.length, patches: patches.length });
    for (const [i, chunk] of chunks.entries()) {
      msg.respond(codecs.syncChunk.encode(chunk));
      // Let the socket drain now and then rather than buffering the whole state.
      if (i % 16 === 15) await messenger.flush();
    }

    function newChunk(index: number): SyncChunk {
      return { index, done: false, identity, revision: published, compact_revision: state.compactRevision, base: [], patches: [], incremental: since !== undefined };
    }
  };
}

/**
 * The revisions after the replica's own, when it holds this backend's
 * history (same epoch) and the store still has them (not compacted away);
 * undefined: the replica gets the whole state.
 */
function patchesSince(msg: Message, store: MvccStore, identity: NodeIdentity, published: number, log: Logger): RevisionPatch[] | undefined {
  let request: SyncRequest;
  try {
    request = decodeChecked(msg, codecs.syncRequest, checkSyncRequest, log);
  } catch {
    return undefined; // logged and counted; the whole state needs nothing from the request
  }
  const after = Number(request.after_revision);
  if (after <= 0 || after > published || request.epoch !== identity.epoch) return undefined;
  try {
    return store.eventsBetween(after + 1, published);
  } catch (err) {
    if (err instanceof KvError && err.rpcName === 'Compacted') return undefined;
    throw err;
  }
}

function checkSyncRequest(request: SyncRequest): Error | undefined {
  return Number(request.after_revision) < 0 ? new Error(`after_revision ${String(request.after_revision)} is negative`) : undefined;
}

/** Target size of one sync chunk (a single larger key travels fragmented). */
const syncChunkBytes = 512 * 1024;

function kvSize(kv: { key: Uint8Array; value?: Uint8Array }): number {
  return kv.key.length + (kv.value?.length ?? 0) + 48;
}
