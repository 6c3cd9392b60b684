// Reads and writes of the change log: Automerge changes keyed by
// (actor, sequence) and etcd events keyed by revision, appended together.
import type { Pool } from 'pg';
import { inTransaction } from './migrations.js';
import { storeRebase } from './snapshots.js';
import { StorageError } from './storage-error.js';
import { readLogRows, readStoredChanges } from './stored-rows.js';
import type { Queryable } from './stored-rows.js';

export interface AppendRow {
  /** Automerge change; absent when the batch made no change to the document. */
  change?: { actor: Uint8Array; seq: number; bytes: Uint8Array };
  firstRevision: number;
  lastRevision: number;
  /** the batch's etcd events: an encoded change-codec PatchBatch (absent: no new revision) */
  patchBatch?: Uint8Array;
  /** the history was compacted at this revision */
  compactRevision?: number;
  /** a history cut after this batch: the new document (concatenated changes) holding the state at `lastRevision` */
  rebase?: { document: Uint8Array; heads: string[]; keyCount: number };
}

/**
 * Appends batches in one transaction. Idempotent: a retried append of the
 * same batch inserts nothing twice. Returns the highest durable revision.
 */
export async function appendBatch(pool: Pool, rows: readonly AppendRow[]): Promise<number> {
  if (rows.length === 0) throw new StorageError('storage: empty append');
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      // A cut's base holds its batch's change; stored, a retried append would
      // put back a change whose dependencies the cut removed.
      const changes = rows.filter((r) => r.change && !r.rebase);
      if (changes.length > 0) {
        await client.query(
          `insert into eckd_changes (actor, seq, revision, change)
           select * from unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bytea[])
           on conflict (actor, seq) do nothing`,
          [
            changes.map((r) => Buffer.from(r.change!.actor)),
            changes.map((r) => r.change!.seq),
            changes.map((r) => r.lastRevision),
            changes.map((r) => Buffer.from(r.change!.bytes)),
          ],
        );
      }
      const logged = rows.filter((r) => r.patchBatch);
      if (logged.length > 0) {
        await client.query(
          `insert into eckd_log (first_revision, last_revision, patches)
           select * from unnest($1::bigint[], $2::bigint[], $3::bytea[])
           on conflict (last_revision) do nothing`,
          [logged.map((r) => r.firstRevision), logged.map((r) => r.lastRevision), logged.map((r) => Buffer.from(r.patchBatch!))],
        );
      }
      const compactions = rows.filter((r) => r.compactRevision !== undefined).map((r) => r.compactRevision!);
      if (compactions.length > 0) {
        // The compact revision never goes backwards, also when an old append is retried.
        await client.query(
          `insert into eckd_meta (key, value) values ('compact_revision', $1)
           on conflict (key) do update set value = excluded.value
           where eckd_meta.value::bigint < excluded.value::bigint`,
          [String(Math.max(...compactions))],
        );
      }
      // A cut replaces the stored changes up to its revision, in the same transaction as its batch.
      for (const r of rows) if (r.rebase) await storeRebase(client, { throughRevision: r.lastRevision, ...r.rebase });
      return Math.max(...rows.map((r) => r.lastRevision));
    });
  } finally {
    client.release();
  }
}

/**
 * Pages through the stored Automerge changes in revision order (keyset on
 * (revision, actor, seq): several changes may share a revision).
 */
export async function* readChanges(pool: Pool, pageRows = 1000): AsyncGenerator<Buffer[]> {
  for await (const page of readStoredChanges(pool, { pageRows })) yield page.map((c) => c.change);
}

/** Pages through the stored event batches in revision order. */
export async function* readLog(pool: Pool, pageRows = 1000): AsyncGenerator<Buffer[]> {
  for await (const page of readLogRows(pool, { pageRows })) yield page.map((r) => r.patches);
}

/** The stored compact revision, or undefined if the history was never compacted. */
export async function readCompactRevision(pool: Queryable): Promise<number | undefined> {
  const { rows } = await pool.query<{ value: string }>(`select value from eckd_meta where key = 'compact_revision'`);
  return rows[0] ? Number(rows[0].value) : undefined;
}

export async function durableRevision(pool: Queryable): Promise<number> {
  const { rows } = await pool.query<{ r: string | null }>('select max(last_revision) as r from eckd_log');
  return Number(rows[0]?.r ?? 0);
}
