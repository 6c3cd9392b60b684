// The one place that opens, commits and rolls back a transaction: a failed
// body is rolled back (a failing rollback must not hide the body's error).
import type { Pool, PoolClient } from 'pg';

export interface TransactionOptions {
  /** Postgres' default (read committed) unless given. */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

/** Runs `fn` in one transaction on `client` (one the caller holds, e.g. with a session lock). */
export async function inTransaction<T>(client: PoolClient, fn: () => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  await client.query(beginStatement(opts));
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` in one transaction on a client taken from `pool` for the purpose. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => fn(client), opts);
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` in one read-only repeatable-read transaction: every read sees
 * the same committed state, so a snapshot and the rows after it are never
 * mixed with a compaction committed meanwhile.
 */
export function withConsistentRead<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, fn, { isolation: 'repeatable read', readOnly: true });
}

function beginStatement(opts: TransactionOptions): string {
  return ['begin', opts.isolation && `isolation level ${opts.isolation}`, opts.readOnly && 'read only'].filter(Boolean).join(' ');
}
