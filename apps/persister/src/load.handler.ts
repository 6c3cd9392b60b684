// persister.load: streams everything the backend needs to recover — every
// stored Automerge change, then every stored PatchBatch — as chunks under
// the NATS payload limit.
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { readChanges, readLog } from '@eckd/storage';
import type { Logger, Msg, NatsConnection } from '@eckd/service-kit';
import { replyChunks } from '@eckd/service-kit';
import type pg from 'pg';

export function createLoadHandler(nc: NatsConnection, pool: pg.Pool, chunkBytes: number, log: Logger): (msg: Msg) => Promise<void> {
  return async (msg) => {
    try {
      const chunks = await collectChunks(pool, chunkBytes);
      await replyChunks(nc, msg.reply, chunks.map((c) => codecs.loadChunk.encode(c)));
      log.info('recovery data sent', { chunks: chunks.length });
    } catch (err) {
      log.error('load failed', { err });
      const error: LoadChunk = { index: 0, done: true, changes: [], patch_batches: [], error: { name: (err as Error).name, message: (err as Error).message } };
      await replyChunks(nc, msg.reply, [codecs.loadChunk.encode(error)]);
    }
  };
}

async function collectChunks(pool: pg.Pool, chunkBytes: number): Promise<LoadChunk[]> {
  const chunks: LoadChunk[] = [];
  let current: LoadChunk = { index: 0, done: false, changes: [], patch_batches: [] };
  let size = 0;
  const add = (field: 'changes' | 'patch_batches', bytes: Buffer) => {
    if (size > 0 && size + bytes.length > chunkBytes) {
      chunks.push(current);
      current = { index: chunks.length, done: false, changes: [], patch_batches: [] };
      size = 0;
    }
    current[field].push(bytes);
    size += bytes.length;
  };
  for await (const page of readChanges(pool)) for (const c of page) add('changes', c);
  for await (const page of readLog(pool)) for (const p of page) add('patch_batches', p);
  current.done = true;
  chunks.push(current);
  return chunks;
}
