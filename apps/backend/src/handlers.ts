// The backend's NATS endpoints: propose (into the apply loop), read-index
// (the published revision) and sync (the replica state, or the revisions
// after the replica's, chunked).
import { chunkBySize, codecs, payloadHeadroomBytes, validators } from '@eckd/change-codec';
import type { NodeIdentity, ProposeReply, SyncChunk, SyncRequest } from '@eckd/change-codec';
import { KvError } from '@eckd/mvcc';
import type { MvccState, MvccStore, RevisionPatch } from '@eckd/mvcc';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import { contextFromHeaders } from '@eckd/telemetry';
import type { ApplyLoop } from './apply-loop.js';
import type { LeaseForwarding } from './peers/lease-forwarding.js';

/** `leases`: with peers, KeepAlive, TimeToLive and Revoke of another member's lease go to its owner (§8.6). */
export function handlePropose(loop: ApplyLoop, log: Logger, leases?: LeaseForwarding): (msg: Message) => void {
  return (msg) => {
    try {
      const request = decodeChecked(msg, codecs.proposeRequest, validators.proposeRequest, log);
      const routed = leases?.split(request);
      if (!routed) {
        loop.enqueue({ msg, request, bytes: msg.data.length, trace: contextFromHeaders(msg.header) });
        return;
      }
      // The rest is evaluated here; one reply carries both parts' results (the frontend matches them by id).
      const rest = routed.local;
      const local = rest
        ? new Promise<ProposeReply>((resolve) => loop.enqueue({ msg: replyCatcher(msg, resolve), request: rest, bytes: msg.data.length, trace: contextFromHeaders(msg.header) }))
        : Promise.resolve<ProposeReply>({ results: [] });
      void Promise.all([local, routed.forwarded]).then(([reply, forwarded]) =>
        msg.respond(codecs.proposeReply.encode(reply.error ? reply : { results: [...reply.results, ...forwarded] })),
      );
    } catch (err) {
      log.warn('bad propose message', { err });
      // A proposal this backend cannot read (a frontend speaking another wire
      // version, or damaged bytes): etcd's answer for a request the server
      // cannot serve, as for an unsupported proposal (batch.ts).
      msg.respond(codecs.proposeReply.encode({ results: [], error: { name: 'NotCapable', message: `backend: unreadable proposal: ${(err as Error).message}` } }));
    }
  };
}

/** A stand-in for `msg` whose reply is handed to `resolve` instead of being sent. */
function replyCatcher(msg: Message, resolve: (reply: ProposeReply) => void): Message {
  return {
    subject: msg.subject,
    data: msg.data,
    reply: msg.reply,
    header: (name) => msg.header(name),
    respond: (payload) => resolve(codecs.proposeReply.decode(payload)),
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
    const items: SyncItem[] = [
      ...state.base.map((kv) => ({ base: { ...kv }, bytes: kvSize(kv) })),
      ...patches.map((p) => ({
        patch: { revision: p.revision, events: p.events.map((e) => ({ ...e })) },
        bytes: p.events.reduce((n, e) => n + kvSize(e.kv) + 8, 16),
      })),
    ];
    const groups = chunkBySize(items, (item) => item.bytes, syncChunkBytes - payloadHeadroomBytes);
    // An empty state is still answered, with one (last) chunk.
    if (groups.length === 0) groups.push([]);
    const chunks = groups.map((group, index): SyncChunk => ({
      index,
      done: index === groups.length - 1,
      identity,
      revision: published,
      compact_revision: state.compactRevision,
      incremental: since !== undefined,
      base: group.flatMap((item) => ('base' in item ? [item.base] : [])),
      patches: group.flatMap((item) => ('patch' in item ? [item.patch] : [])),
    }));
    log.info('sync sent', { revision: published, incremental: since !== undefined, chunks: chunks.length, base: state.base.length, patches: patches.length });
    for (const [i, chunk] of chunks.entries()) {
      msg.respond(codecs.syncChunk.encode(chunk));
      // Let the socket drain now and then rather than buffering the whole state.
      if (i % 16 === 15) await messenger.flush();
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

/** One key or one revision's patch of the replica state, in wire form, with its estimated size. */
type SyncItem = ({ base: SyncChunk['base'][number] } | { patch: SyncChunk['patches'][number] }) & { bytes: number };

/** Target size of one sync chunk (a single larger key travels fragmented). */
const syncChunkBytes = 512 * 1024;

function kvSize(kv: { key: Uint8Array; value?: Uint8Array }): number {
  return kv.key.length + (kv.value?.length ?? 0) + 48;
}
