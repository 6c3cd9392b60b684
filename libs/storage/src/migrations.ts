// Versioned schema migrations, applied at start-up in one transaction that
// first takes a transaction-scoped advisory lock: two processes starting
// together apply each migration exactly once (on real Postgres and on the
// embedded one, where every client shares one session and session locks
// would not exclude each other).
import type { Pool } from 'pg';
import { withTransaction } from './transaction.js';

/** Arbitrary constant naming eckd's migration lock (pg advisory lock key). */
const migrationLockKey = 0x65636b64; // "eckd"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'changes, log and meta',
    sql: `
      create table eckd_changes (
        actor    bytea  not null,
        seq      bigint not null,
        revision bigint not null,
        change   bytea  not null,
        primary key (actor, seq)
      );
      create table eckd_log (
        first_revision bigint not null,
        last_revision  bigint primary key,
        patches        bytea  not null,
        check (first_revision <= last_revision)
      );
      create table eckd_meta (
        key   text primary key,
        value text not null
      );`,
  },
  {
    // Written by apps/compactor. One row is kept: the latest snapshot. The
    // saved document is already compressed by Automerge, so it is stored
    // uncompressed out of line ("external"), which lets recovery read it in
    // pieces with substring() without loading the whole value. The key
    // index (protobuf, values as written) is left to Postgres's compression.
    // The index on changes serves the compactor's and recovery's keyset
    // pages (revision, actor, seq) and the threshold count.
    version: 2,
    name: 'snapshots',
    sql: `
      create table if not exists eckd_snapshots (
        through_revision bigint primary key,
        index_revision   bigint not null,
        compact_revision bigint not null,
        heads            text[] not null,
        key_count        bigint not null,
        document         bytea  not null,
        key_index        bytea  not null,
        created_at       timestamptz not null default now(),
        check (index_revision >= 0 and index_revision <= through_revision)
      );
      alter table eckd_snapshots alter column document set storage external;
      create index if not exists eckd_changes_by_revision on eckd_changes (revision, actor, seq);`,
  },
  {
    // The persisted part of the Automerge sync state with each peer
    // (ARCHITECTURE.md §8.3): the heads both sides are known to share.
    // Member ids are u64, beyond bigint: stored as decimal text.
    version: 3,
    name: 'peer sync states',
    sql: `
      create table if not exists eckd_peers (
        member     text  primary key,
        sync_state bytea not null,
        updated_at timestamptz not null default now()
      );`,
  },
  {
    // The lineage of each stored change and snapshot (ARCHITECTURE.md
    // §8.10): its document's base hash, '' for the original base. Null:
    // stored before lineages were recorded, when a node held one lineage
    // only, so such a row belongs to whatever lineage is current.
    version: 4,
    name: 'lineages',
    sql: `
      alter table eckd_changes add column if not exists lineage text;
      alter table eckd_snapshots add column if not exists lineage text;`,
  },
  {
    // A voter's state in the history cut's agreement (ARCHITECTURE.md §8.10):
    // per (lineage, cut), the promised ballot (round, member: u64, so
    // numeric) that orders updates, and the whole state as the backend
    // encoded it (CutAcceptorState: the promise and the acceptance).
    version: 5,
    name: 'cut acceptor',
    sql: `
      create table if not exists eckd_cut_acceptor (
        lineage         text          not null,
        cut             bigint        not null,
        promised_round  numeric(20,0) not null,
        promised_member numeric(20,0) not null,
        state           bytea         not null,
        updated_at      timestamptz   not null default now(),
        primary key (lineage, cut)
      );`,
  },
  {
    // The record of each coordinated cut this member switched at
    // (ARCHITECTURE.md §8.10, 4), by the lineage it made: the lineage it
    // replaced (kept until dropped) and the record as the backend encoded
    // it (CutRecord: the decision and the sequences inside the cut point).
    version: 6,
    name: 'cut records',
    sql: `
      create table if not exists eckd_cut (
        lineage          text        primary key,
        cut              bigint      not null,
        previous_lineage text        not null,
        record           bytea       not null,
        switched_at      timestamptz not null default now()
      );`,
  },
]);

export async function migrate(pool: Pool): Promise<number[]> {
  return withTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [migrationLockKey]);
    await client.query(
      'create table if not exists eckd_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())',
    );
    const applied = new Set((await client.query<{ version: number }>('select version from eckd_migrations')).rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('insert into eckd_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}
