import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { appendBatch } from './change-log.js';
import { migrate, migrations } from './migrations.js';
import { commitSnapshot, latestSnapshotInfo, readCutRecord } from './snapshots.js';
import { readStoredChanges } from './stored-rows.js';
import { specDatabases } from '../test/spec-databases.js';

const databases = specDatabases();
after(() => databases.dropAll());

const lineageB = 'b'.repeat(64);
const change = (actor: string, seq: number) => ({ actor: Buffer.from(actor, 'hex'), seq, bytes: Buffer.from(`${actor}${seq}`) });

async function stored(pool: pg.Pool, lineage?: string | null): Promise<string[]> {
  const out: string[] = [];
  for await (const page of readStoredChanges(pool, { lineage, pageRows: 2 })) out.push(...page.map((c) => c.change.toString()));
  return out;
}

async function withClient<T>(pool: pg.Pool, f: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await f(client);
  } finally {
    client.release();
  }
}

describe('lineages in storage (ARCHITECTURE §8.10)', () => {
  test("changes are stored with their lineage; a lineage's read also takes rows stored before lineages were recorded", async () => {
    const pool = await databases.fresh({ migrate: false });
    // A database from before migration 4: its rows get no lineage (null).
    for (const m of migrations.filter((x) => x.version < 4)) await pool.query(m.sql);
    await pool.query(`create table eckd_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    await pool.query(`insert into eckd_migrations (version, name) select unnest($1::int[]), 'x'`, [[1, 2, 3]]);
    await pool.query(`insert into eckd_changes (actor, seq, revision, change) values ('\\xaa', 1, 1, 'aa1')`);
    assert.deepEqual(await migrate(pool), migrations.filter((m) => m.version >= 4).map((m) => m.version));

    await appendBatch(pool, [{ lineage: '', change: change('aa', 2), peerChanges: [change('cc', 1)], firstRevision: 2, lastRevision: 2, patchBatch: Buffer.from('p2') }]);
    await appendBatch(pool, [{ lineage: lineageB, change: change('dd', 1), firstRevision: 3, lastRevision: 3, patchBatch: Buffer.from('p3') }]);
    const { rows } = await pool.query<{ change: Buffer; lineage: string | null }>('select change, lineage from eckd_changes order by revision, actor');
    assert.deepEqual(rows.map((r) => [r.change.toString(), r.lineage]), [['aa1', null], ['aa2', ''], ['cc1', ''], ['dd1', lineageB]]);

    assert.deepEqual(await stored(pool), ['aa1', 'aa2', 'cc1', 'dd1'], 'no lineage asked: every row');
    assert.deepEqual(await stored(pool, ''), ['aa1', 'aa2', 'cc1'], 'the original lineage');
    assert.deepEqual(await stored(pool, lineageB), ['aa1', 'dd1']);
  });

  test("a rebase's and a compaction's snapshot rows carry their document's lineage", async () => {
    const pool = await databases.fresh();
    await appendBatch(pool, [{ lineage: '', change: change('aa', 1), firstRevision: 1, lastRevision: 1, patchBatch: Buffer.from('p1') }]);
    await appendBatch(pool, [{ lineage: '', firstRevision: 2, lastRevision: 2, patchBatch: Buffer.from('p2'), rebase: { document: Buffer.from('base'), heads: ['h'], keyCount: 1, lineage: lineageB } }]);
    assert.equal((await latestSnapshotInfo(pool))?.lineage, lineageB);
    assert.deepEqual(await stored(pool), [], 'the rebase replaced every change up to it');

    await appendBatch(pool, [{ lineage: lineageB, change: change('ee', 1), firstRevision: 3, lastRevision: 3, patchBatch: Buffer.from('p3') }]);
    const snapshot = { throughRevision: 3, indexRevision: 0, compactRevision: -1, heads: ['h3'], keyCount: 1, document: Buffer.from('doc3'), keyIndex: Buffer.alloc(0), lineage: lineageB };
    await withClient(pool, (c) => commitSnapshot(c, { previousThroughRevision: 2, snapshot, coveredChanges: [change('ee', 1)], logBelowRevision: 0 }));
    assert.equal((await latestSnapshotInfo(pool))?.lineage, lineageB);
    // Written without one (a tool, or a compactor from before the column): not recorded.
    await withClient(pool, (c) => commitSnapshot(c, { previousThroughRevision: 3, snapshot: { ...snapshot, throughRevision: 4, lineage: undefined }, coveredChanges: [], logBelowRevision: 0 }));
    assert.equal((await latestSnapshotInfo(pool))?.lineage, null);
  });

  test('a coordinated switch keeps the lineage it replaces (rows, snapshot) until an append drops it; the compactor folds only its own', async () => {
    const pool = await databases.fresh();
    const lineageC = 'c'.repeat(64);
    const snapshotOf = (through: number, lineage: string) => ({ throughRevision: through, indexRevision: 0, compactRevision: -1, heads: [`h${through}`], keyCount: 1, document: Buffer.from(`doc${through}`), keyIndex: Buffer.alloc(0), lineage });
    // On the original lineage: a snapshot, a change after it, and one stored without a lineage.
    await appendBatch(pool, [{ lineage: '', change: change('aa', 1), firstRevision: 1, lastRevision: 1, patchBatch: Buffer.from('p1') }]);
    await withClient(pool, (c) => commitSnapshot(c, { previousThroughRevision: undefined, snapshot: snapshotOf(1, ''), coveredChanges: [change('aa', 1)], logBelowRevision: 0 }));
    await appendBatch(pool, [{ lineage: '', change: change('aa', 2), firstRevision: 2, lastRevision: 2, patchBatch: Buffer.from('p2') }]);
    await appendBatch(pool, [{ change: change('aa', 3), firstRevision: 3, lastRevision: 3, patchBatch: Buffer.from('p3') }]);

    const cut = { cut: 1, previousLineage: '', record: Buffer.from('record of cut 1') };
    const switchRow = { lineage: '', firstRevision: 4, lastRevision: 4, patchBatch: Buffer.from('p4'), rebase: { document: Buffer.from('base+translations'), heads: ['h4'], keyCount: 1, lineage: lineageC, cut } };
    await appendBatch(pool, [switchRow]);
    await appendBatch(pool, [switchRow]); // a retry changes nothing
    assert.deepEqual(await readCutRecord(pool, lineageC), cut.record);
    assert.equal((await latestSnapshotInfo(pool))?.lineage, lineageC);
    assert.deepEqual(await stored(pool, ''), ['aa2', 'aa3'], "the old lineage's changes are kept, the unrecorded one marked as its");
    // After the switch: the new lineage's changes, and an old-lineage change from a peer that has not switched.
    await appendBatch(pool, [{ lineage: lineageC, change: change('ee', 1), firstRevision: 5, lastRevision: 5, patchBatch: Buffer.from('p5') }]);
    await appendBatch(pool, [{ lineage: '', peerChanges: [change('bb', 1)], firstRevision: 6, lastRevision: 6, patchBatch: Buffer.from('p6') }]);
    assert.deepEqual(await stored(pool, lineageC), ['ee1']);
    assert.deepEqual(await stored(pool, ''), ['aa2', 'aa3', 'bb1']);

    // The compactor replaces its own lineage's snapshot only.
    await withClient(pool, (c) => commitSnapshot(c, { previousThroughRevision: 4, snapshot: snapshotOf(5, lineageC), coveredChanges: [change('ee', 1)], logBelowRevision: 0 }));
    const snapshots = async () => (await pool.query<{ lineage: string }>('select lineage from eckd_snapshots order by through_revision')).rows.map((r) => r.lineage);
    assert.deepEqual(await snapshots(), ['', lineageC]);

    // Dropping the current lineage does nothing; dropping the kept one deletes its rows, snapshot and record.
    await appendBatch(pool, [{ lineage: lineageC, dropLineage: lineageC, firstRevision: 7, lastRevision: 7, patchBatch: Buffer.from('p7') }]);
    assert.deepEqual(await snapshots(), ['', lineageC]);
    await appendBatch(pool, [{ lineage: lineageC, dropLineage: '', firstRevision: 8, lastRevision: 8, patchBatch: Buffer.from('p8') }]);
    assert.deepEqual(await snapshots(), [lineageC]);
    assert.deepEqual(await stored(pool), []);
    assert.deepEqual(await readCutRecord(pool, lineageC), cut.record, "the current lineage's record stays");
  });
});
