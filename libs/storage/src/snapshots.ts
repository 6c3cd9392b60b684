// Snapshots written by the compactor: the whole saved Automerge document
// and the key index at a revision. One row is kept (the latest). Writing a
// snapshot and deleting the rows it covers is one transaction, so a crash
// at any step leaves either the old state or the new one.
import type { PoolClient } from 'pg';
import { StorageError } from './storage-error.js';
import { inTransaction } from './transaction.js';
import type { Queryable } from './stored-rows.js';

/** pg advisory lock keys ("eckc", "ecks"): one compactor runs at a time; snapshot commits never interleave. */
const compactorRunLockKey = 0x65636b63;
const snapshotCommitLockKey = 0x65636b73;

export interface SnapshotInfo {
  /** the document holds every change of the batches up to this revision */
  throughRevision: number;
  /** the key index is the state at this revision; 0: no key index (the whole log is kept) */
  indexRevision: number;
  /** etcd's compact revision when the snapshot was taken; -1: never compacted */
  compactRevision: number;
  heads: string[];
  keyCount: number;
  documentBytes: number;
  indexBytes: number;
  /** the document's lineage (hex, '' for the original base; §8.10); null: written before lineages were recorded */
  lineage: string | null;
}

export interface SnapshotData extends SnapshotInfo {
  document: Buffer;
  keyIndex: Buffer;
}

export type NewSnapshot = Omit<SnapshotData, 'documentBytes' | 'indexBytes' | 'document' | 'keyIndex' | 'lineage'> & {
  lineage?: string | null;
  document: Uint8Array;
  keyIndex: Uint8Array;
};

export interface SnapshotCommit {
  /** the latest snapshot the new one was built from (undefined: there was none) */
  previousThroughRevision: number | undefined;
  snapshot: NewSnapshot;
  /** the changes folded into the snapshot's document, deleted with its insert */
  coveredChanges: readonly { actor: Uint8Array; seq: number }[];
  /** log rows with last_revision below this are deleted (the row ending at the index revision stays for watches) */
  logBelowRevision: number;
}

export interface SnapshotCommitResult {
  changesDeleted: number;
  logRowsDeleted: number;
}

/** Another compactor committed a snapshot since this one read its inputs; nothing was changed. */
export class SnapshotConflictError extends StorageError {
  override name = 'SnapshotConflictError';
}

const infoColumns = `through_revision, index_revision, compact_revision, heads, key_count,
  octet_length(document) as document_bytes, octet_length(key_index) as index_bytes, lineage`;

interface InfoRow {
  through_revision: string;
  index_revision: string;
  compact_revision: string;
  heads: string[];
  key_count: string;
  document_bytes: number;
  index_bytes: number;
  lineage: string | null;
}

function toInfo(r: InfoRow): SnapshotInfo {
  return {
    throughRevision: Number(r.through_revision),
    indexRevision: Number(r.index_revision),
    compactRevision: Number(r.compact_revision),
    heads: r.heads,
    keyCount: Number(r.key_count),
    documentBytes: Number(r.document_bytes),
    indexBytes: Number(r.index_bytes),
    lineage: r.lineage,
  };
}

/** What the latest snapshot covers, without its (large) contents. */
export async function latestSnapshotInfo(q: Queryable): Promise<SnapshotInfo | undefined> {
  const { rows } = await q.query<InfoRow>(`select ${infoColumns} from eckd_snapshots order by through_revision desc limit 1`);
  return rows[0] ? toInfo(rows[0]) : undefined;
}

export async function readLatestSnapshot(q: Queryable): Promise<SnapshotData | undefined> {
  const { rows } = await q.query<InfoRow & { document: Buffer; key_index: Buffer }>(
    `select ${infoColumns}, document, key_index from eckd_snapshots order by through_revision desc limit 1`,
  );
  const r = rows[0];
  return r ? { ...toInfo(r), document: r.document, keyIndex: r.key_index } : undefined;
}

/** A snapshot's whole key index (stored compressed: read at once rather than decompressed again per piece). */
export async function readSnapshotKeyIndex(q: Queryable, throughRevision: number): Promise<Buffer> {
  const { rows } = await q.query<{ key_index: Buffer }>('select key_index from eckd_snapshots where through_revision = $1', [throughRevision]);
  if (!rows[0]) throw new StorageError(`storage: snapshot ${throughRevision} is gone`);
  return rows[0].key_index;
}

/** Consecutive pieces of a snapshot's document (substring of an external column reads only what it needs). */
export async function* readSnapshotPieces(
  q: Queryable,
  throughRevision: number,
  part: 'document' | 'key_index',
  pieceBytes: number,
): AsyncGenerator<Buffer> {
  if (!(pieceBytes > 0)) throw new StorageError('storage: pieceBytes must be positive');
  const column = part === 'document' ? 'document' : 'key_index';
  for (let offset = 0; ; offset += pieceBytes) {
    const { rows } = await q.query<{ piece: Buffer | null }>(
      `select substring(${column} from $2::int for $3::int) as piece from eckd_snapshots where through_revision = $1`,
      [throughRevision, offset + 1, pieceBytes],
    );
    const piece = rows[0]?.piece;
    if (piece == null) throw new StorageError(`storage: snapshot ${throughRevision} is gone`);
    if (piece.length > 0) yield piece;
    if (piece.length < pieceBytes) return;
  }
}

/**
 * Inserts the snapshot and deletes what it covers, in one transaction on
 * `client`. Throws SnapshotConflictError (and changes nothing) if the latest
 * snapshot is no longer the one the new one was built from.
 */
export async function commitSnapshot(client: PoolClient, commit: SnapshotCommit): Promise<SnapshotCommitResult> {
  const s = commit.snapshot;
  return inTransaction(client, async () => {
    // Session locks exclude nothing on the embedded database (one shared
    // session), so commits are also serialised here and checked optimistically.
    await client.query('select pg_advisory_xact_lock($1)', [snapshotCommitLockKey]);
    const latest = await latestSnapshotInfo(client);
    if (latest?.throughRevision !== commit.previousThroughRevision) {
      throw new SnapshotConflictError(`storage: the latest snapshot is ${latest?.throughRevision ?? 'none'}, not ${commit.previousThroughRevision ?? 'none'}`);
    }
    // Its own lineage's rows only: a lineage kept since a coordinated cut stays until dropped (§8.10).
    await client.query('delete from eckd_snapshots where $1::text is null or lineage is null or lineage = $1::text', [s.lineage ?? null]);
    await client.query(
      `insert into eckd_snapshots (through_revision, index_revision, compact_revision, heads, key_count, document, key_index, lineage)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [s.throughRevision, s.indexRevision, s.compactRevision, s.heads, s.keyCount, Buffer.from(s.document), Buffer.from(s.keyIndex), s.lineage ?? null],
    );
    const changes = await client.query(
      `delete from eckd_changes c using unnest($1::bytea[], $2::bigint[]) as d(actor, seq)
       where c.actor = d.actor and c.seq = d.seq`,
      [commit.coveredChanges.map((c) => Buffer.from(c.actor)), commit.coveredChanges.map((c) => c.seq)],
    );
    const log = await client.query('delete from eckd_log where last_revision < $1', [commit.logBelowRevision]);
    return { changesDeleted: changes.rowCount ?? 0, logRowsDeleted: log.rowCount ?? 0 };
  });
}

export interface StoredRebase {
  /** the new document holds the state at this revision */
  throughRevision: number;
  /** concatenated Automerge changes: the rebase, then what was written since */
  document: Uint8Array;
  heads: string[];
  keyCount: number;
  /** the new document's lineage (hex, '' for the original base); absent: not recorded */
  lineage?: string;
  /** a coordinated cut's switch (§8.10, 4): the lineage replaced is kept, and the cut's record stored */
  cut?: StoredCutRecord;
}

export interface StoredCutRecord {
  cut: number;
  /** the lineage the cut replaced (hex, '' for the original base) */
  previousLineage: string;
  /** the encoded record (change-codec CutRecord) */
  record: Uint8Array;
}

/**
 * Within the caller's transaction: makes the cut document the latest
 * snapshot's document and deletes every stored change it replaces. The key
 * index (and its revisions) of the latest snapshot is kept: a rebase cuts
 * the document's history only, not etcd's. Nothing happens if the latest
 * snapshot already reaches `throughRevision` (a retried append).
 */
export async function storeRebase(client: PoolClient, rebase: StoredRebase): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1)', [snapshotCommitLockKey]);
  const latest = await latestSnapshotInfo(client);
  if (latest && latest.throughRevision >= rebase.throughRevision) return;
  const { heads } = rebase;
  const document = Buffer.from(rebase.document);
  if (latest) {
    await client.query(
      `insert into eckd_snapshots (through_revision, index_revision, compact_revision, heads, key_count, document, key_index, lineage)
       select $1, index_revision, compact_revision, $2, $3, $4, key_index, $6 from eckd_snapshots where through_revision = $5`,
      [rebase.throughRevision, heads, rebase.keyCount, document, latest.throughRevision, rebase.lineage ?? null],
    );
  } else {
    await client.query(
      `insert into eckd_snapshots (through_revision, index_revision, compact_revision, heads, key_count, document, key_index, lineage)
       values ($1, 0, coalesce((select value::bigint from eckd_meta where key = 'compact_revision'), -1), $2, $3, $4, ''::bytea, $5)`,
      [rebase.throughRevision, heads, rebase.keyCount, document, rebase.lineage ?? null],
    );
  }
  if (rebase.cut) {
    await keepPreviousLineage(client, rebase.lineage ?? '', rebase.cut);
    return;
  }
  await client.query('delete from eckd_snapshots where through_revision < $1', [rebase.throughRevision]);
  await client.query('delete from eckd_changes where revision <= $1', [rebase.throughRevision]);
}

/**
 * A coordinated switch keeps the lineage it replaces for a lagging peer
 * (§8.10, 5): rows stored before lineages were recorded are that lineage's,
 * so they are marked as such before the new lineage's rows follow them; the
 * cut's record is stored by the lineage it made (once: a retry finds it).
 */
async function keepPreviousLineage(client: PoolClient, lineage: string, cut: StoredCutRecord): Promise<void> {
  await client.query('update eckd_changes set lineage = $1 where lineage is null', [cut.previousLineage]);
  await client.query('update eckd_snapshots set lineage = $1 where lineage is null', [cut.previousLineage]);
  await client.query(
    'insert into eckd_cut (lineage, cut, previous_lineage, record) values ($1, $2, $3, $4) on conflict (lineage) do nothing',
    [lineage, cut.cut, cut.previousLineage, Buffer.from(cut.record)],
  );
}

/** The stored record of the cut that made `lineage` (encoded CutRecord), if any. */
export async function readCutRecord(q: Queryable, lineage: string | null | undefined): Promise<Buffer | undefined> {
  if (lineage === null || lineage === undefined) return undefined;
  const { rows } = await q.query<{ record: Buffer }>('select record from eckd_cut where lineage = $1', [lineage]);
  return rows[0]?.record;
}

/** Session-level lock naming "the compactor is running"; false if another session holds it. */
export async function tryCompactorLock(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [compactorRunLockKey]);
  return rows[0]?.locked === true;
}

export async function releaseCompactorLock(client: PoolClient): Promise<void> {
  await client.query('select pg_advisory_unlock($1)', [compactorRunLockKey]);
}
