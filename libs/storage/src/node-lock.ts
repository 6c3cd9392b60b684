// The persister's node lock: a session-level Postgres advisory lock held on
// a dedicated connection for the life of the process, so one persister per
// node writes (ARCHITECTURE §6a). Postgres drops it when the session ends:
// the holder exits, is killed, or its connection dies (TCP keep-alive finds
// a dead peer), and the next persister to try takes over.
import pg from 'pg';
import { StorageError } from './storage-error.js';

/** First half of the two-key advisory lock; the second half is the node name's hash. */
const persisterLockClass = 0x65636b70; // "eckp"
const retryEveryMs = 250;

export class NodeLockHeldError extends StorageError {
  override name = 'NodeLockHeldError';
}

export interface NodeLock {
  /** Ends the session, which releases the lock. */
  release(): Promise<void>;
}

export interface NodeLockOptions {
  /** how long to keep trying while another session holds it */
  waitMs: number;
  /** called once if the lock's connection is lost: the lock may be someone else's now */
  onLost: (err: Error) => void;
}

export async function acquireNodeLock(url: string, nodeName: string, opts: NodeLockOptions): Promise<NodeLock> {
  const client = new pg.Client({ connectionString: url, keepAlive: true, application_name: 'eckd-persister-lock', connectionTimeoutMillis: 5_000 });
  let released = false;
  let lost = false;
  const onLost = (err: Error) => {
    if (released || lost) return;
    lost = true;
    opts.onLost(err);
  };
  client.on('error', onLost);
  client.on('end', () => onLost(new StorageError('storage: the node lock connection ended')));
  const release = async () => {
    released = true;
    await client.end().catch(() => undefined);
  };
  try {
    await client.connect();
    const until = Date.now() + opts.waitMs;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [persisterLockClass, nodeName]);
      if (rows[0]?.locked) return { release };
      if (Date.now() >= until) throw new NodeLockHeldError(`storage: another persister holds node ${nodeName} (waited ${opts.waitMs} ms)`);
      await new Promise((r) => setTimeout(r, retryEveryMs));
    }
  } catch (err) {
    await release();
    throw err;
  }
}
