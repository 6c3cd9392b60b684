import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createLogger } from '@eckd/service-kit';
import { KvError } from '@eckd/mvcc';
import { createPool, migrate, readLatestSnapshot } from '@eckd/storage';
import { createTestDatabase } from '@eckd/testing';
import { lockedReason, runCompaction } from './compaction.js';
import type { CompactionOutcome } from './compaction.js';
import { allKvs, rebuildFromStorage, rowCounts, SimulatedBackend } from './test-helpers.js';

const log = createLogger('compactor-test', { level: 'error' });

/** A migrated throwaway database and a pool on it. */
async function createDatabase(): Promise<{ url: string; pool: pg.Pool; drop(): Promise<void> }> {
  const database = await createTestDatabase();
  const pool = createPool(database.url);
  await migrate(pool);
  return { url: database.url, pool, drop: () => pool.end().then(database.drop) };
}
const run = (pool: pg.Pool, force = true, minChanges = 1_000_000) => runCompaction(pool, { force, minChanges, pauseBeforeCommitMs: 0, log });

function assertRan(outcome: CompactionOutcome): asserts outcome is Extract<CompactionOutcome, { ran: true }> {
  assert.equal(outcome.ran, true, `compaction did not run: ${JSON.stringify(outcome)}`);
}

/** The rebuilt state equals the writer's: same live kvs (revisions, versions, values), same document. */
async function assertRecovers(pool: pg.Pool, backend: SimulatedBackend, historyAt: number[] = []): Promise<void> {
  const { doc, store } = await rebuildFromStorage(pool);
  assert.equal(store.revision, backend.store.revision);
  assert.equal(store.compactRevision, backend.store.compactRevision);
  assert.deepEqual(allKvs(store), allKvs(backend.store));
  for (const revision of historyAt) assert.deepEqual(allKvs(store, revision), allKvs(backend.store, revision), `history at ${revision}`);
  assert.deepEqual(doc.keys(), backend.doc.keys());
  assert.deepEqual(doc.leases(), backend.doc.leases());
  assert.deepEqual(doc.heads().sort(), backend.doc.heads().sort());
}

describe('compaction runs', () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  let backend: SimulatedBackend;
  before(async () => {
    db = await createDatabase();
    backend = new SimulatedBackend(db.pool);
  });
  after(() => db?.drop());

  test('an empty store has nothing to compact', async () => {
    assert.deepEqual(await run(db.pool), { ran: false, reason: 'nothing to compact' });
  });

  test('never compacted: the document is snapshotted, every log row is kept for history', async () => {
    for (let i = 0; i < 20; i++) await backend.batch([{ put: [`k${i % 7}`, `v${i}`] }, { put: [`j${i}`, 'x'] }]);
    await backend.grantLease('7', 30);
    await backend.batch([{ del: 'k3' }]);
    assert.deepEqual(await run(db.pool, false), { ran: false, reason: 'below threshold' });
    const outcome = await run(db.pool);
    assertRan(outcome);
    assert.deepEqual([outcome.throughRevision, outcome.indexRevision, outcome.changesDeleted, outcome.logRowsDeleted], [42, 0, 22, 0]);
    assert.deepEqual(await rowCounts(db.pool), { changes: 0, log: 21, snapshots: 1, snapshotRevision: 42 });
    await assertRecovers(db.pool, backend, [2, 20]);
  });

  test('after an etcd compaction in the middle of a batch: log rows below its batch boundary go', async () => {
    backend.restart();
    for (let i = 0; i < 10; i++) await backend.batch([{ put: [`k${i % 5}`, `w${i}`] }, { put: [`m${i}`, 'y'] }]);
    await backend.compact(51); // inside the batch of revisions 51..52: the boundary is 50
    for (let i = 0; i < 3; i++) await backend.batch([{ put: ['late', String(i)] }]);
    const outcome = await run(db.pool, false, 10);
    assertRan(outcome);
    assert.deepEqual([outcome.throughRevision, outcome.indexRevision, outcome.changesDeleted, outcome.logRowsDeleted], [65, 50, 13, 24]);
    const counts = await rowCounts(db.pool);
    assert.deepEqual(counts, { changes: 0, log: 10, snapshots: 1, snapshotRevision: 65 }, 'rows from the one ending at 50 on');
    await assertRecovers(db.pool, backend, [51, 52, 60]);
    assert.throws(() => backend.store.range({ key: Buffer.from('k0'), revision: 50 }), KvError);
  });

  test('the next run starts from the snapshot; the key index is reused while the compact revision stays', async () => {
    for (let i = 0; i < 5; i++) await backend.batch([{ put: [`n${i}`, 'z'] }]);
    const before = await readLatestSnapshot(db.pool);
    const outcome = await run(db.pool);
    assertRan(outcome);
    assert.deepEqual([outcome.throughRevision, outcome.indexRevision, outcome.changesDeleted, outcome.logRowsDeleted], [70, 50, 5, 0]);
    assert.deepEqual((await readLatestSnapshot(db.pool))?.keyIndex, before?.keyIndex);
    await backend.compact(70);
    await backend.batch([{ put: ['after', '1'] }]);
    const moved = await run(db.pool);
    assertRan(moved);
    assert.deepEqual([moved.throughRevision, moved.indexRevision, moved.logRowsDeleted], [71, 70, 14]);
    await assertRecovers(db.pool, backend, [70]);
    assert.deepEqual(await run(db.pool), { ran: false, reason: 'nothing to compact' });
  });

  test('a log that does not match the document fails the run and deletes nothing', async () => {
    for (let i = 0; i < 4; i++) await backend.batch([{ put: [`bad${i}`, 'v'] }]);
    await db.pool.query('delete from eckd_log where last_revision = 73'); // a lost row
    const before = await rowCounts(db.pool);
    await assert.rejects(run(db.pool), KvError);
    assert.deepEqual(await rowCounts(db.pool), before);
  });
});

describe('compactors running together', () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  before(async () => {
    db = await createDatabase();
  });
  after(() => db?.drop());

  test('only one runs at a time; writes go on meanwhile; the state stays whole', async () => {
    const backend = new SimulatedBackend(db.pool);
    for (let i = 0; i < 300; i++) await backend.batch([{ put: [`a${i % 50}`, `v${i}`] }]);
    await backend.compact(200);
    const other = createPool(db.url);
    try {
      const writes = (async () => {
        for (let i = 0; i < 50; i++) await backend.batch([{ put: [`b${i}`, 'w'] }]);
      })();
      const outcomes = await Promise.all([run(db.pool), run(other), writes.then(() => run(db.pool))]);
      assert.ok(outcomes.some((o) => o.ran), JSON.stringify(outcomes));
      for (const o of outcomes) if (!o.ran) assert.ok([lockedReason, 'nothing to compact'].includes(o.reason), o.reason);
      await run(db.pool);
      assert.equal((await rowCounts(db.pool)).changes, 0);
      await assertRecovers(db.pool, backend, [200, 300]);
    } finally {
      await other.end();
    }
  });
});
