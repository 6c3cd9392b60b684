// Queries behind etcd's Maintenance service: the size of eckd's tables
// (Status.dbSize, the quota), small values in eckd_meta (alarms),
// defragmentation (VACUUM FULL) and a consistent backup of every row
// (Maintenance.Snapshot) with its restore. Every eckd table is found by name
// (eckd_*), so tables added by later migrations are covered without a change.
import type { Pool, PoolClient } from 'pg';
import { StorageError } from './storage-error.js';
import { withConsistentRead, withTransaction } from './transaction.js';

type Queryable = Pool | PoolClient;

/** The migrations bookkeeping table: never backed up (restore runs the migrations itself). */
const migrationsTable = 'eckd_migrations';
const tableNamePattern = /^eckd_[a-z0-9_]+$/;
/**
 * Rows fetched per round trip at most, and the JSON bytes gathered into one
 * backup page; a round trip fetches about a page's worth of rows at the
 * largest row size seen so far, so large rows do not pile up in one fetch.
 */
const backupFetchRowsMax = 500;
const backupFetchRowsFirst = 16;
const backupPageBytesMax = 4 * 1024 * 1024;

export interface StorageSizes {
  /** bytes of eckd's tables with their indexes and TOAST (pg_total_relation_size) */
  dbSize: number;
  /** estimate: each table's size times its share of live tuples (statistics, refreshed by Postgres) */
  dbSizeInUse: number;
}

export async function eckdTables(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relkind = 'r' and c.relname like 'eckd\\_%' order by c.relname`,
  );
  return rows.map((r) => r.name).filter((name) => tableNamePattern.test(name));
}

export async function storageSizes(q: Queryable): Promise<StorageSizes> {
  const { rows } = await q.query<{ total: string | null; in_use: string | null }>(
    `select sum(pg_total_relation_size(c.oid))::bigint as total,
            sum(pg_total_relation_size(c.oid) * case when coalesce(s.n_live_tup, 0) + coalesce(s.n_dead_tup, 0) = 0 then 1
                else s.n_live_tup::float8 / (s.n_live_tup + s.n_dead_tup) end)::bigint as in_use
     from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_user_tables s on s.relid = c.oid
     where n.nspname = current_schema() and c.relkind = 'r' and c.relname like 'eckd\\_%'`,
  );
  return { dbSize: Number(rows[0]?.total ?? 0), dbSizeInUse: Number(rows[0]?.in_use ?? 0) };
}

export async function readMeta(q: Queryable, key: string): Promise<string | undefined> {
  const { rows } = await q.query<{ value: string }>('select value from eckd_meta where key = $1', [key]);
  return rows[0]?.value;
}

export async function writeMeta(q: Queryable, key: string, value: string): Promise<void> {
  await q.query('insert into eckd_meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value', [key, value]);
}

/**
 * Rewrites every eckd table compactly (etcd's defragment): space freed by
 * deleted rows goes back to the operating system. Takes each table's
 * exclusive lock in turn, so writes wait meanwhile, as they do in etcd.
 */
export async function vacuumFull(pool: Pool): Promise<void> {
  for (const table of await eckdTables(pool)) await pool.query(`vacuum (full, analyze) ${table}`);
}

export interface BackupPage {
  table: string;
  rowCount: number;
  /** a JSON array of row_to_json objects */
  rowsJson: Buffer;
}

/** A backup page as read: each row's JSON text (joined into `rowsJson` by readBackup). */
export interface BackupRowTexts {
  table: string;
  rows: string[];
}

export interface BackupHead {
  schemaVersion: number;
  /** highest stored revision (1: nothing stored) */
  revision: number;
  /** -1: never compacted */
  compactRevision: number;
}

export interface Backup extends BackupHead {
  pages: BackupPage[];
}

/** Every row of every eckd table (but the migrations'), read in one repeatable-read transaction. */
export async function readBackup(pool: Pool): Promise<Backup> {
  const pages: BackupPage[] = [];
  const head = await streamBackup(pool, () => undefined, ({ table, rows }) => void pages.push({ table, rowCount: rows.length, rowsJson: Buffer.from(`[${rows.join(',')}]`) }));
  return { ...head, pages };
}

/**
 * readBackup a page at a time: `onHead` first, then `onPage` for each page
 * as it is read (the next is read once it has settled), so only one page is
 * held at once.
 */
export async function streamBackup(
  pool: Pool,
  onHead: (head: BackupHead) => Promise<void> | void,
  onPage: (page: BackupRowTexts) => Promise<void> | void,
): Promise<BackupHead> {
  return withConsistentRead(pool, async (client) => {
    const head: BackupHead = {
      schemaVersion: await schemaVersion(client),
      revision: Number((await client.query<{ r: string | null }>('select max(last_revision) as r from eckd_log')).rows[0]?.r ?? 1),
      compactRevision: Number((await readMeta(client, 'compact_revision')) ?? -1),
    };
    await onHead(head);
    for (const table of await eckdTables(client)) {
      if (table !== migrationsTable) await tablePages(client, table, onPage);
    }
    return head;
  });
}

async function tablePages(q: Queryable, table: string, onPage: (page: BackupRowTexts) => Promise<void> | void): Promise<void> {
  let rows: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (rows.length > 0) await onPage({ table, rows });
    rows = [];
    bytes = 0;
  };
  await q.query(`declare eckd_backup_rows no scroll cursor for select row_to_json(t)::text as j from ${table} t`);
  let fetchRows = backupFetchRowsFirst;
  let largestRow = 1;
  for (;;) {
    const { rows: fetched } = await q.query<{ j: string }>(`fetch ${fetchRows} from eckd_backup_rows`);
    for (const { j } of fetched) {
      if (bytes > 0 && bytes + j.length > backupPageBytesMax) await flush();
      rows.push(j);
      bytes += j.length;
      largestRow = Math.max(largestRow, j.length);
    }
    if (fetched.length < fetchRows) break;
    fetchRows = Math.max(1, Math.min(backupFetchRowsMax, Math.floor(backupPageBytesMax / largestRow)));
  }
  await q.query('close eckd_backup_rows');
  await flush();
}

async function schemaVersion(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ v: number | null }>(`select max(version) as v from ${migrationsTable}`);
  return rows[0]?.v ?? 0;
}

/**
 * Writes a backup's rows into a database whose schema is migrated to the
 * backup's version and which holds no eckd rows yet, in one transaction.
 */
export async function restoreBackup(pool: Pool, backup: Pick<Backup, 'schemaVersion' | 'pages'>): Promise<{ rows: number }> {
  return withTransaction(pool, async (client) => {
    const version = await schemaVersion(client);
    if (version !== backup.schemaVersion) {
      throw new StorageError(`storage: the backup has schema version ${backup.schemaVersion}, the database ${version}; use the eckd version that wrote it`);
    }
    const tables = new Set(await eckdTables(client));
    for (const table of tables) {
      if (table === migrationsTable) continue;
      const { rows } = await client.query(`select 1 from ${table} limit 1`);
      if (rows.length > 0) throw new StorageError(`storage: ${table} is not empty; restore into a database without eckd data`);
    }
    let restored = 0;
    for (const page of backup.pages) {
      if (!tables.has(page.table) || page.table === migrationsTable) throw new StorageError(`storage: the backup holds rows of an unknown table "${page.table}"`);
      const result = await client.query(`insert into ${page.table} select * from json_populate_recordset(null::${page.table}, $1::json)`, [page.rowsJson.toString()]);
      if (result.rowCount !== page.rowCount) throw new StorageError(`storage: ${page.table}: ${result.rowCount} rows restored, the backup says ${page.rowCount}`);
      restored += page.rowCount;
    }
    return { rows: restored };
  });
}
