// Reads and writes of the change log: Automerge changes keyed by
// (actor, sequence) and etcd events keyed by revision, appended together.
import type { Pool } from 'pg';
import { withTransaction } from './transaction.js';
import { storeRebase } from './snapshots.js';
import type { StoredRebase } from './snapshots.js';
import { ConflictingAppendError, FencedAppendError, OutOfOrderAppendError, StorageError } from './storage-error.js';
import { readLogRows, readStoredChanges } from './stored-rows.js';
import type { Queryable } from './stored-rows.js';

/** An Automerge change, stored under its writer and sequence. */
export interface StoredChangeInput {
  actor: Uint8Array;
  seq: number;
  bytes: Uint8Array;
}

export interface PeerSyncStateRow {
  member: string;
  state: Uint8Array;
}

export interface AppendRow {
  /** the lineage of the change and the peers' changes (hex, '' for the original base; §8.10); absent: not recorded (null) */
  lineage?: string;
  /** Automerge change; absent when the batch made no change to the document. */
  change?: StoredChangeInput;
  /** peers' changes the batch applied (docs/ARCHITECTURE.md §8.3), stored like its own; already stored ones are skipped */
  peerChanges?: readonly StoredChangeInput[];
  /** peers' sync states that changed (member id, decimal → encoded state); the newest per member wins */
  peerSyncStates?: readonly PeerSyncStateRow[];
  firstRevision: number;
  lastRevision: number;
  /** the batch's etcd events: an encoded change-codec PatchBatch (absent: no new revision) */
  patchBatch?: Uint8Array;
  /** the history was compacted at this revision */
  compactRevision?: number;
  /** a history cut after this batch: the new document (concatenated changes) holding the state at `lastRevision` */
  rebase?: Omit<StoredRebase, 'throughRevision'>;
  /** a lineage kept since a switch, let go (§8.10, 5): its changes, snapshot rows and cut record are deleted; never the current one */
  dropLineage?: string;
  /** a voter's new state in the cut agreement (§8.10): stored unless a higher promise is stored for its cut */
  cutAcceptor?: CutAcceptorRow;
}

export interface CutAcceptorRow {
  /** the lineage being cut (hex) */
  lineage: string;
  cut: number;
  /** the promised ballot, u64 decimals: orders the updates of one cut */
  promisedRound: string;
  promisedMember: string;
  /** the encoded state (change-codec CutAcceptorState) */
  state: Uint8Array;
}

/** eckd_meta key of the current backend's fencing epoch (ARCHITECTURE §6a). */
export const fencingEpochMetaKey = 'fencing_epoch';

/**
 * The append is a named prepared statement: Postgres plans its fifteen
 * parts once per connection instead of at every batch (1.5 ms of its CPU
 * per append; docs/BENCHMARKS.md). Its text never varies.
 */
const appendStatementName = 'eckd-append-v1';

/** eckd_meta key of the append chain: '<fencing epoch>:<append index>' of the last append stored (ARCHITECTURE §2). */
export const appendChainMetaKey = 'append_chain';

export interface AppendOptions {
  /**
   * The appending backend's fencing epoch: the append is refused
   * (FencedAppendError) and changes nothing unless it is the current one.
   * Absent: not checked (specs and tools that write storage directly).
   */
  fencingEpoch?: number;
  /**
   * The append's place in its backend's appends (1, 2, …; needs
   * fencingEpoch): refused (OutOfOrderAppendError) and nothing written
   * unless the one before it is stored. Absent or 0: outside the chain.
   */
  appendIndex?: number;
}

/**
 * Appends batches atomically. Idempotent: a retried append of the same
 * batch inserts nothing twice. An append whose revisions are stored with
 * other events is refused (ConflictingAppendError) and changes nothing.
 * Returns the highest durable revision.
 */
export async function appendBatch(pool: Pool, rows: readonly AppendRow[], opts: AppendOptions = {}): Promise<number> {
  if (rows.length === 0) throw new StorageError('storage: empty append');
  const chained = opts.appendIndex !== undefined && opts.appendIndex > 0 && opts.fencingEpoch !== undefined;
  const insert = insertRows(rows, opts.fencingEpoch, chained ? opts.appendIndex : undefined);
  const durable = Math.max(...rows.map((r) => r.lastRevision));
  if (!rows.some((r) => r.rebase)) {
    // One statement is one transaction: a batch costs one round trip.
    checkAppended((await pool.query<AppendOutcome>({ name: appendStatementName, text: insert.text, values: insert.values })).rows[0], rows, opts);
    return durable;
  }
  return withTransaction(pool, async (client) => {
    checkAppended((await client.query<AppendOutcome>(insert.text, insert.values)).rows[0], rows, opts);
    // A cut replaces the stored changes up to its revision, in the same transaction as its batch.
    for (const r of rows) if (r.rebase) await storeRebase(client, { throughRevision: r.lastRevision, ...r.rebase });
    return durable;
  });
}

interface AppendOutcome {
  fenced: boolean;
  conflicting: boolean;
  out_of_order: boolean;
}

function checkAppended(outcome: AppendOutcome | undefined, rows: readonly AppendRow[], opts: AppendOptions): void {
  const first = Math.min(...rows.map((r) => r.firstRevision));
  const last = Math.max(...rows.map((r) => r.lastRevision));
  if (!outcome || outcome.fenced) {
    throw new FencedAppendError(`storage: fencing epoch ${opts.fencingEpoch} is not the current backend's; revisions ${first}..${last} not stored`);
  }
  if (outcome.conflicting) throw new ConflictingAppendError(`storage: revisions in ${first}..${last} are already stored with other events`);
  if (outcome.out_of_order) {
    throw new OutOfOrderAppendError(`storage: append ${opts.appendIndex} of fencing epoch ${opts.fencingEpoch} comes before its predecessor is stored; revisions ${first}..${last} not stored`);
  }
}

/**
 * The rows' changes, log rows and compact revision as one statement, all
 * written only if the fencing epoch (when given) is the current one and no
 * stored log row overlaps a new one with other content and, in the append
 * chain, the append before it is stored (its row is locked until commit,
 * and moved to this append). The epoch's meta row
 * is share-locked until commit, so a backend claiming a new epoch waits for
 * this append and then sees it. The compact revision never goes backwards,
 * also when an old append is retried.
 *
 * Stored log rows never overlap (this check keeps them so), so the only
 * stored row a new one can overlap first is the one with the lowest
 * last revision at or above the new row's first: one index probe per new
 * row, not a scan of the whole log (which made each append's cost grow
 * with the history kept: 18 ms at 300,000 rows; docs/BENCHMARKS.md).
 */
function insertRows(rows: readonly AppendRow[], fencingEpoch: number | undefined, appendIndex: number | undefined): { text: string; values: unknown[] } {
  // A cut's base holds its batch's change; stored, a retried append would
  // put back a change whose dependencies the cut removed.
  const changes = rows
    .filter((r) => !r.rebase)
    .flatMap((r) => [...(r.change ? [r.change] : []), ...(r.peerChanges ?? [])].map((change) => ({ change, lastRevision: r.lastRevision, lineage: r.lineage ?? null })));
  const logged = rows.filter((r) => r.patchBatch);
  const compactions = rows.filter((r) => r.compactRevision !== undefined).map((r) => r.compactRevision!);
  // One row per member: an upsert may not touch a row twice in one statement.
  const syncStates = [...new Map(rows.flatMap((r) => r.peerSyncStates ?? []).map((s) => [s.member, s.state])).entries()];
  // The last of the rows' states per cut (one upsert per row).
  const drops = rows.flatMap((r) => (r.dropLineage !== undefined ? [r.dropLineage] : []));
  const acceptors = [...new Map(rows.flatMap((r) => (r.cutAcceptor ? [r.cutAcceptor] : [])).map((a) => [`${a.lineage}/${a.cut}`, a])).values()];
  return {
    text: `with current_epoch as materialized (
             select value from eckd_meta where key = '${fencingEpochMetaKey}' and value = $9::bigint::text for share
           ), fence as materialized (
             select $9::bigint is not null and not exists (select 1 from current_epoch) as fenced
           ), clash as materialized (
             select exists (
               select 1 from unnest($5::bigint[], $6::bigint[], $7::bytea[]) as n (first_revision, last_revision, patches)
               cross join lateral (
                 select s.first_revision, s.last_revision, s.patches from eckd_log s
                 where s.last_revision >= n.first_revision order by s.last_revision limit 1
               ) l
               where l.first_revision <= n.last_revision
                 and not (l.first_revision = n.first_revision and l.last_revision = n.last_revision and l.patches = n.patches)
             ) as conflicting
           ), chain_row as materialized (
             select split_part(value, ':', 1)::bigint as epoch, split_part(value, ':', 2)::bigint as appended
             from eckd_meta where key = '${appendChainMetaKey}' and $12::bigint is not null for update
           ), chain as materialized (
             select $12::bigint is not null and not coalesce(
               (select case when r.epoch = $9::bigint then $12::bigint <= r.appended + 1 else $12::bigint = 1 end from chain_row r),
               $12::bigint = 1
             ) as out_of_order
           ), allowed as materialized (
             select not fence.fenced and not clash.conflicting and not chain.out_of_order as ok from fence, clash, chain
           ), chained as (
             insert into eckd_meta (key, value)
             select '${appendChainMetaKey}', $9::bigint || ':' || greatest($12::bigint, coalesce((select appended from chain_row where epoch = $9::bigint), 0))
             where $12::bigint is not null and (select ok from allowed)
             on conflict (key) do update set value = excluded.value
           ), changes as (
             insert into eckd_changes (actor, seq, revision, change, lineage)
             select * from unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bytea[], $13::text[]) where (select ok from allowed)
             on conflict (actor, seq) do nothing
           ), log as (
             insert into eckd_log (first_revision, last_revision, patches)
             select * from unnest($5::bigint[], $6::bigint[], $7::bytea[]) where (select ok from allowed)
             on conflict (last_revision) do nothing
           ), compaction as (
             insert into eckd_meta (key, value) select 'compact_revision', $8::text where $8::text is not null and (select ok from allowed)
             on conflict (key) do update set value = excluded.value
             where eckd_meta.value::bigint < excluded.value::bigint
           ), peers as (
             insert into eckd_peers (member, sync_state)
             select * from unnest($10::text[], $11::bytea[]) where (select ok from allowed)
             on conflict (member) do update set sync_state = excluded.sync_state, updated_at = now()
           ), acceptor as (
             insert into eckd_cut_acceptor (lineage, cut, promised_round, promised_member, state)
             select * from unnest($14::text[], $15::bigint[], $16::numeric[], $17::numeric[], $18::bytea[]) where (select ok from allowed)
             on conflict (lineage, cut) do update set promised_round = excluded.promised_round, promised_member = excluded.promised_member,
               state = excluded.state, updated_at = now()
             where (excluded.promised_round, excluded.promised_member) >= (eckd_cut_acceptor.promised_round, eckd_cut_acceptor.promised_member)
           ), current_lineage as materialized (
             select lineage from eckd_snapshots order by through_revision desc limit 1
           ), dropping as materialized (
             select d.lineage from unnest($19::text[]) as d(lineage)
             where (select ok from allowed) and d.lineage is distinct from (select lineage from current_lineage)
           ), dropped_changes as (
             delete from eckd_changes where lineage in (select lineage from dropping)
           ), dropped_snapshots as (
             delete from eckd_snapshots where lineage in (select lineage from dropping)
           ), dropped_records as (
             delete from eckd_cut where lineage in (select lineage from dropping)
           )
           select fence.fenced, clash.conflicting, chain.out_of_order from fence, clash, chain`,
    values: [
      changes.map((r) => asBuffer(r.change.actor)),
      changes.map((r) => r.change.seq),
      changes.map((r) => r.lastRevision),
      changes.map((r) => asBuffer(r.change.bytes)),
      logged.map((r) => r.firstRevision),
      logged.map((r) => r.lastRevision),
      logged.map((r) => asBuffer(r.patchBatch!)),
      compactions.length > 0 ? String(Math.max(...compactions)) : null,
      fencingEpoch ?? null,
      syncStates.map(([member]) => member),
      syncStates.map(([, state]) => asBuffer(state)),
      appendIndex ?? null,
      changes.map((r) => r.lineage),
      acceptors.map((a) => a.lineage),
      acceptors.map((a) => a.cut),
      acceptors.map((a) => a.promisedRound),
      acceptors.map((a) => a.promisedMember),
      acceptors.map((a) => asBuffer(a.state)),
      drops,
    ],
  };
}

/**
 * Claims the next fencing epoch for a starting backend. Waits for any
 * append in flight (it holds the epoch row share-locked); every append with
 * an older epoch is refused from the commit on.
 */
export async function claimFencingEpoch(pool: Queryable): Promise<number> {
  const { rows } = await pool.query<{ value: string }>(
    `insert into eckd_meta (key, value) values ('${fencingEpochMetaKey}', '1')
     on conflict (key) do update set value = (eckd_meta.value::bigint + 1)::text
     returning value`,
  );
  return Number(rows[0]!.value);
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

/** The stored sync state per peer (member id, decimal). */
export async function readPeerSyncStates(q: Queryable): Promise<PeerSyncStateRow[]> {
  const { rows } = await q.query<{ member: string; sync_state: Buffer }>('select member, sync_state from eckd_peers order by member');
  return rows.map((r) => ({ member: r.member, state: r.sync_state }));
}

/** Every stored voter state of the cut agreement (§8.10), encoded as the backend sent it. */
export async function readCutAcceptorStates(q: Queryable): Promise<Uint8Array[]> {
  const { rows } = await q.query<{ state: Buffer }>('select state from eckd_cut_acceptor order by lineage, cut');
  return rows.map((r) => r.state);
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
