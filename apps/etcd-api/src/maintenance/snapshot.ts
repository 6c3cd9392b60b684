// Maintenance.Snapshot: streams the persister's backup of the node (a
// consistent copy of every stored row, eckd's own format) the way etcd
// streams its bbolt file: 32 KiB blobs with the bytes still to come, then
// one last message whose blob is the sha256 of everything sent. etcdctl's
// `snapshot save` writes all blobs, that digest included, to the file; it
// opens nothing as bbolt (etcdctl's `snapshot status` and `restore` do, and
// so refuse eckd's file: tools/snapshot-restore restores it instead).
import { createHash } from 'node:crypto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { maintenanceCodecs, validated, validators } from '@eckd/change-codec';
import type { SnapshotRequest__Output, SnapshotResponse } from '@eckd/etcd-proto';
import type { Messenger } from '@eckd/service-kit';
import { EtcdRpcError } from '../to-grpc-error.js';

/** etcd's snapshotSendBufferSize. */
export const snapshotBlobBytes = 32 * 1024;
/** The persister reads the whole backup before its first chunk. */
const backupChunkTimeoutMs = 120_000;

type Call = ServerWritableStream<SnapshotRequest__Output, SnapshotResponse>;

/**
 * Asks the persister for the backup a window of `windowBytes` at a time
 * (ECKD_STREAM_QUEUED_BYTES_MAX) and asks for the next window only once the
 * client has taken this one, so a slow reader holds at most about one window
 * here. A persister that answers without a session sends everything at once.
 */
export async function streamSnapshot(messenger: Messenger, backupSubject: string, windowBytes: number, call: Call, etcdVersion: string): Promise<void> {
  const sha = createHash('sha256');
  let total = -1;
  let received = 0;
  let sent = 0;
  let pending = Buffer.alloc(0);
  let session = '';
  let done = false;
  const send = async (blob: Buffer) => {
    sent += blob.length;
    sha.update(blob);
    if (!call.write({ remaining_bytes: total - sent, blob, version: etcdVersion })) await drained(call);
  };
  while (!done) {
    const request = maintenanceCodecs.backupRequest.encode({ session, offset: received, window_bytes: windowBytes });
    const windowEnd = received + windowBytes;
    for await (const msg of messenger.requestStream(backupSubject, request, { chunkTimeoutMs: backupChunkTimeoutMs })) {
      if (call.cancelled) return;
      const chunk = validated(maintenanceCodecs.backupChunk.decode(msg.data), validators.backupChunk);
      if (chunk.error) throw chunk.error.name === 'Unknown' ? new EtcdRpcError('Unknown', `snapshot: ${chunk.error.message}`) : new EtcdRpcError(chunk.error.name);
      total = Number(chunk.total_bytes);
      session = chunk.session ?? '';
      received += chunk.data.length;
      pending = Buffer.concat([pending, chunk.data]);
      while (pending.length >= snapshotBlobBytes) {
        await send(pending.subarray(0, snapshotBlobBytes));
        pending = pending.subarray(snapshotBlobBytes);
      }
      done = chunk.done;
      if (done || (session !== '' && received >= windowEnd)) break;
    }
    if (!done && session === '') throw new EtcdRpcError('Unknown', 'snapshot: the backup ended before its last chunk');
  }
  if (pending.length > 0) await send(pending);
  if (sent !== total) throw new EtcdRpcError('Unknown', `snapshot: ${sent} bytes received, ${total} announced`);
  call.write({ remaining_bytes: 0, blob: sha.digest(), version: etcdVersion });
  call.end();
}

/** Resolves when the stream can take more, or is gone (then the next turn of the loop stops). */
function drained(call: Call): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done).off('close', done).off('cancelled', done);
      resolve();
    };
    call.on('drain', done).on('close', done).on('cancelled', done);
  });
}
