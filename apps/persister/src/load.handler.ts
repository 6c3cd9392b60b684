// persister.load: streams everything the backend needs to recover — every
// stored Automerge change, then every stored PatchBatch — as chunks under
// the NATS payload limit.
import { codecs } from '@eckd/change-codec';
import type { LoadChunk } from '@eckd/change-codec';
import { readChanges, readCompactRevision, readLog } from '@eckd/storage';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import type pg from 'pg';

export function createLoadHandler(messenger: Messenger, pool: pg.Pool, chunkBytes: number, log: Logger): (msg: Message) => Promise<void> {
  return async (msg) => {
    try {
      const chunks = await collectChunks(pool, chunkBytes);
      for (const [i, chunk] of chunks.entries()) {
        msg.respond(codecs.loadChunk.encode(chunk));
        if (i % 16 === 15) await messenger.nc.flush();
      }
      log.info('recovery data sent', { chunks: chunks.length });
    } catch (err) {
      log.error('load failed', { err });
      const error: LoadChunk = {
        index: 0,
        done: true,
        changes: [],
        patch_batches: [],
        compacted: false,
        compact_revision: 0,
        error: { name: (err as Error).name, message: (err as Error).message },
      };
      msg.respond(codecs.loadChunk.encode(error));
    }
  };
}

async function collectChunks(pool: pg.Pool, chunkBytes: number): Promise<LoadChunk[]> {
  const chunks: LoadChunk[] = [];
  const empty = (index: number): LoadChunk => ({ index, done: false, changes: [], patch_batches: [], compacted: false, compact_revision: 0 });
  let current = empty(0);
  let size = 0;
  const add = (field: 'changes' | 'patch_batches', bytes: Buffer) => {
    if (size > 0 && size + bytes.length > chunkBytes) {
      chunks.push(current);
      current = empty(chunks.length);
      size = 0;
    }
    current[field].push(bytes);
    size += bytes.length;
  };
  for await (const page of readChanges(pool)) for (const c of page) add('changes', c);
  for await (const page of readLog(pool)) for (const p of page) add('patch_batches', p);
  const compactRevision = await readCompactRevision(pool);
  current.done = true;
  current.compacted = compactRevision !== undefined;
  current.compact_revision = compactRevision ?? 0;
  chunks.push(current);
  return chunks;
}
