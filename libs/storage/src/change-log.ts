// Reads and writes of the change log: Automerge changes keyed by
// (actor, sequence) and etcd events keyed by revision, appended together.
import type { Pool } from 'pg';
import { withTransaction } from './transaction.js';
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
 * Appends batches atomically. Idempotent: a retried append of the same
 * batch inserts nothing twice. Returns the highest durable revision.
 */
export async function appendBatch(pool: Pool, rows: readonly AppendRow[]): Promise<number> {
  if (rows.length === 0) throw new StorageError('storage: empty append');
  const insert = insertRows(rows);
  const durable = Math.max(...rows.map((r) => r.lastRevision));
  if (!rows.some((r) => r.rebase)) {
    // One statement is one transaction: a batch costs one round trip.
    await pool.query(insert.text, insert.values);
    return durable;
  }
  return withTransaction(pool, async (client) => {
    await client.query(insert.text, insert.values);
    // A cut replaces the stored changes up to its revision, in the same transaction as its batch.
    for (const r of rows) if (r.rebase) await storeRebase(client, { throughRevision: r.lastRevision, ...r.rebase });
    return durable;
  });
}

/**
 * The rows' changes, log rows and compact revision as one statement. The
 * compact revision never goes backwards, also when an old append is retried.
 */
function insertRows(rows: readonly AppendRow[]): { text: string; values: unknown[] } {
  // A cut's base holds its batch's change; stored, a retried append would
  // put back a change whose dependencies the cut removed.
  const changes = rows.filter((r) => r.change && !r.rebase);
  const logged = rows.filter((r) => r.patchBatch);
  const compactions = rows.filter((r) => r.compactRevision !== undefined).map((r) => r.compactRevision!);
  return {
    text: `with changes as (
             insert into eckd_changes (actor, seq, revision, change)
             select * from unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bytea[])
             on conflict (actor, seq) do nothing
           ), log as (
             insert into eckd_log (first_revision, last_revision, patches)
             select * from unnest($5::bigint[], $6::bigint[], $7::bytea[])
             on conflict (last_revision) do nothing
           )
           insert into eckd_meta (key, value) select 'compact_revision', $8::text where $8::text is not null
           on conflict (key) do update set value = excluded.value
           where eckd_meta.value::bigint < excluded.value::bigint`,
    values: [
      changes.map((r) => asBuffer(r.change!.actor)),
      changes.map((r) => r.change!.seq),
      changes.map((r) => r.lastRevision),
      changes.map((r) => asBuffer(r.change!.bytes)),
      logged.map((r) => r.firstRevision),
      logged.map((r) => r.lastRevision),
      logged.map((r) => asBuffer(r.patchBatch!)),
      compactions.length > 0 ? String(Math.max(...compactions)) : null,
    ],
  };
}

/** The same bytes as a Buffer (what pg sends as bytea), without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
