// Keyset-paged reads of the stored changes and log rows, for recovery and
// the compactor. Every query here is served by an index (eckd_changes_by_revision,
// eckd_log's primary key); storage.spec.ts checks the plans with EXPLAIN.
import type { QueryResult, QueryResultRow } from 'pg';

/** A pg Pool or one of its clients (e.g. inside a transaction). */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export const pageRowsDefault = 1000;

export interface StoredChange {
  actor: Buffer;
  seq: number;
  /** last node revision of the batch that made the change */
  revision: number;
  change: Buffer;
}

export interface StoredLogRow {
  firstRevision: number;
  lastRevision: number;
  /** an encoded change-codec PatchBatch */
  patches: Buffer;
}

/**
 * Pages through stored changes in (revision, actor, seq) order, optionally
 * only those of batches up to a revision, and only those of one lineage
 * (hex, '' for the original; rows stored before lineages were recorded
 * belong to any: §8.10). Several changes may share a
 * revision (a batch that granted a lease made a change but no revision), so
 * pages continue after the last (revision, actor, seq), never after the
 * revision alone.
 */
export async function* readStoredChanges(
  q: Queryable,
  opts: { upToRevision?: number; pageRows?: number; lineage?: string | null } = {},
): AsyncGenerator<StoredChange[]> {
  const upTo = opts.upToRevision ?? Number.MAX_SAFE_INTEGER;
  let after: [number, Buffer, number] = [-1, Buffer.alloc(0), -1];
  for (;;) {
    const { rows } = await q.query<{ actor: Buffer; seq: string; revision: string; change: Buffer }>(
      `select actor, seq, revision, change from eckd_changes
       where (revision, actor, seq) > ($1, $2, $3) and revision <= $4
         and ($6::text is null or lineage is null or lineage = $6::text)
       order by revision, actor, seq limit $5`,
      [...after, upTo, opts.pageRows ?? pageRowsDefault, opts.lineage ?? null],
    );
    if (rows.length === 0) return;
    const page = rows.map((r) => ({ actor: r.actor, seq: Number(r.seq), revision: Number(r.revision), change: r.change }));
    yield page;
    const last = page[page.length - 1]!;
    after = [last.revision, last.actor, last.seq];
  }
}

/** Pages through log rows with fromRevision <= last_revision <= upToRevision, in revision order. */
export async function* readLogRows(
  q: Queryable,
  opts: { fromRevision?: number; upToRevision?: number; pageRows?: number } = {},
): AsyncGenerator<StoredLogRow[]> {
  let from = opts.fromRevision ?? 0;
  const upTo = opts.upToRevision ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const { rows } = await q.query<{ first_revision: string; last_revision: string; patches: Buffer }>(
      `select first_revision, last_revision, patches from eckd_log
       where last_revision >= $1 and last_revision <= $2 order by last_revision limit $3`,
      [from, upTo, opts.pageRows ?? pageRowsDefault],
    );
    if (rows.length === 0) return;
    const page = rows.map((r) => ({ firstRevision: Number(r.first_revision), lastRevision: Number(r.last_revision), patches: r.patches }));
    yield page;
    from = page[page.length - 1]!.lastRevision + 1;
  }
}

/** The first revision of the oldest stored log row; undefined when none is stored. */
export async function firstLoggedRevision(q: Queryable): Promise<number | undefined> {
  const { rows } = await q.query<{ r: string | null }>('select min(first_revision) as r from eckd_log');
  return rows[0]?.r == null ? undefined : Number(rows[0].r);
}

/** The highest batch boundary (a stored log row's last revision) at or below `revision`. */
export async function highestLogRevisionAtOrBelow(q: Queryable, revision: number): Promise<number | undefined> {
  const { rows } = await q.query<{ r: string | null }>('select max(last_revision) as r from eckd_log where last_revision <= $1', [revision]);
  return rows[0]?.r == null ? undefined : Number(rows[0].r);
}

export async function countStoredChanges(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>('select count(*) as n from eckd_changes');
  return Number(rows[0]?.n ?? 0);
}

export async function countLogRowsBelow(q: Queryable, revision: number): Promise<number> {
  const { rows } = await q.query<{ n: string }>('select count(*) as n from eckd_log where last_revision < $1', [revision]);
  return Number(rows[0]?.n ?? 0);
}
