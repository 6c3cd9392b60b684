import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import { appendBatch, durableRevision } from './change-log.js';
import { migrate, migrations } from './migrations.js';
import {
  commitSnapshot,
  latestSnapshotInfo,
  readLatestSnapshot,
  readSnapshotKeyIndex,
  readSnapshotPieces,
  releaseCompactorLock,
  SnapshotConflictError,
  tryCompactorLock,
} from './snapshots.js';
import { withConsistentRead } from './transaction.js';
import type { NewSnapshot } from './snapshots.js';
import { specDatabases } from '../test/spec-databases.js';
import { countLogRowsBelow, countStoredChanges, highestLogRevisionAtOrBelow, readLogRows, readStoredChanges } from './stored-rows.js';
import type { Queryable } from './stored-rows.js';

const databases = specDatabases();
let pool: pg.Pool;

before(async () => {
  pool = await databases.fresh();
});

after(() => databases.dropAll());

const actorA = Buffer.from('aa', 'hex');
const actorB = Buffer.from('bb', 'hex');

async function all<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

function snapshot(through: number, index: number, document = Buffer.from(`doc-${through}`)): NewSnapshot {
  return { throughRevision: through, indexRevision: index, compactRevision: index, heads: [`h${through}`], keyCount: 1, document, keyIndex: Buffer.from(`idx-${index}`) };
}

describe('snapshots and paged reads', () => {
  test('the snapshots migration can run again without harm', async () => {
    const m = migrations.find((x) => x.version === 2)!;
    await pool.query(m.sql);
    assert.deepEqual(await migrate(pool), []);
  });

  test('changes page by (revision, actor, seq): changes sharing a revision are neither skipped nor repeated', async () => {
    // revisions 2..3 by A, a lease-only change at 3 by B (no new revision), 4..5 by A
    await appendBatch(pool, [{ change: { actor: actorA, seq: 1, bytes: Buffer.from('a1') }, firstRevision: 2, lastRevision: 3, patchBatch: Buffer.from('p3') }]);
    await appendBatch(pool, [{ change: { actor: actorB, seq: 1, bytes: Buffer.from('b1') }, firstRevision: 4, lastRevision: 3 }]);
    await appendBatch(pool, [{ change: { actor: actorA, seq: 2, bytes: Buffer.from('a2') }, firstRevision: 4, lastRevision: 5, patchBatch: Buffer.from('p5') }]);
    await appendBatch(pool, [{ change: { actor: actorA, seq: 3, bytes: Buffer.from('a3') }, firstRevision: 6, lastRevision: 6, patchBatch: Buffer.from('p6') }]);
    const every = await all(readStoredChanges(pool, { pageRows: 1 }));
    assert.deepEqual(every.map((c) => c.change.toString()), ['a1', 'b1', 'a2', 'a3']);
    assert.deepEqual(every.map((c) => c.revision), [3, 3, 5, 6]);
    const upTo5 = await all(readStoredChanges(pool, { upToRevision: 5, pageRows: 2 }));
    assert.deepEqual(upTo5.map((c) => c.change.toString()), ['a1', 'b1', 'a2']);
    assert.equal(await countStoredChanges(pool), 4);
  });

  test('log rows by revision range; the highest boundary at or below a revision', async () => {
    const rows = await all(readLogRows(pool, { fromRevision: 4, upToRevision: 6, pageRows: 1 }));
    assert.deepEqual(rows.map((r) => [r.firstRevision, r.lastRevision, r.patches.toString()]), [[4, 5, 'p5'], [6, 6, 'p6']]);
    assert.equal(await highestLogRevisionAtOrBelow(pool, 4), 3);
    assert.equal(await highestLogRevisionAtOrBelow(pool, 5), 5);
    assert.equal(await highestLogRevisionAtOrBelow(pool, 2), undefined);
    assert.equal(await countLogRowsBelow(pool, 5), 1);
  });

  test('a snapshot commit deletes exactly the covered changes and the log below its index revision', async () => {
    assert.equal(await latestSnapshotInfo(pool), undefined);
    const covered = (await all(readStoredChanges(pool, { upToRevision: 5 }))).filter((c) => c.change.toString() !== 'b1');
    // b1 arrived after the compactor read its inputs: it is not covered and must stay.
    const result = await withClient((c) =>
      commitSnapshot(c, { previousThroughRevision: undefined, snapshot: snapshot(5, 5), coveredChanges: covered, logBelowRevision: 5 }),
    );
    assert.deepEqual(result, { changesDeleted: 2, logRowsDeleted: 1 });
    assert.deepEqual((await all(readStoredChanges(pool))).map((c) => c.change.toString()), ['b1', 'a3']);
    assert.deepEqual((await all(readLogRows(pool))).map((r) => r.lastRevision), [5, 6]);
    const info = await latestSnapshotInfo(pool);
    assert.deepEqual(info, { throughRevision: 5, indexRevision: 5, compactRevision: 5, heads: ['h5'], keyCount: 1, documentBytes: 5, indexBytes: 5, lineage: null });
  });

  test('a commit built from a superseded snapshot is refused and changes nothing', async () => {
    const before = await countStoredChanges(pool);
    for (const previous of [undefined, 3]) {
      await assert.rejects(
        withClient((c) => commitSnapshot(c, { previousThroughRevision: previous, snapshot: snapshot(6, 5), coveredChanges: [{ actor: actorA, seq: 3 }], logBelowRevision: 6 })),
        SnapshotConflictError,
      );
    }
    assert.equal(await countStoredChanges(pool), before);
    assert.equal((await latestSnapshotInfo(pool))?.throughRevision, 5);
  });

  test('the next snapshot replaces the previous one; its parts read back whole, in pieces', async () => {
    const document = randomBytes(10_000);
    await withClient((c) =>
      commitSnapshot(c, { previousThroughRevision: 5, snapshot: snapshot(6, 5, document), coveredChanges: [{ actor: actorA, seq: 3 }], logBelowRevision: 5 }),
    );
    const { rows } = await pool.query('select through_revision from eckd_snapshots');
    assert.deepEqual(rows.map((r) => Number(r.through_revision)), [6]);
    const pieces = await all(mapPages(readSnapshotPieces(pool, 6, 'document', 3_000)));
    assert.deepEqual(pieces.map((p) => p.length), [3_000, 3_000, 3_000, 1_000]);
    assert.deepEqual(Buffer.concat(pieces), document);
    assert.deepEqual(Buffer.concat(await all(mapPages(readSnapshotPieces(pool, 6, 'key_index', 5)))), Buffer.from('idx-5'));
    assert.deepEqual(await readSnapshotKeyIndex(pool, 6), Buffer.from('idx-5'));
    await assert.rejects(readSnapshotKeyIndex(pool, 5), /snapshot 5 is gone/);
    assert.deepEqual((await readLatestSnapshot(pool))?.document, document);
  });

  test('a consistent read keeps seeing the state it started with while a snapshot commits', async () => {
    await appendBatch(pool, [{ change: { actor: actorA, seq: 4, bytes: Buffer.from('a4') }, firstRevision: 7, lastRevision: 7, patchBatch: Buffer.from('p7') }]);
    const seen = await withConsistentRead(pool, async (reader) => {
      const info = await latestSnapshotInfo(reader);
      await withClient((c) =>
        commitSnapshot(c, { previousThroughRevision: 6, snapshot: snapshot(7, 7), coveredChanges: [{ actor: actorA, seq: 4 }, { actor: actorB, seq: 1 }], logBelowRevision: 7 }),
      );
      const changes = await all(readStoredChanges(reader));
      const pieces = await all(mapPages(readSnapshotPieces(reader, 6, 'key_index', 100)));
      return { through: info?.throughRevision, changes: changes.map((c) => c.change.toString()), index: Buffer.concat(pieces).toString() };
    });
    assert.deepEqual(seen, { through: 6, changes: ['b1', 'a4'], index: 'idx-5' });
    assert.equal((await latestSnapshotInfo(pool))?.throughRevision, 7);
    assert.equal(await countStoredChanges(pool), 0);
  });

  test('one session at a time holds the compactor lock', async () => {
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      assert.equal(await tryCompactorLock(a), true);
      assert.equal(await tryCompactorLock(b), false);
      await releaseCompactorLock(a);
      assert.equal(await tryCompactorLock(b), true);
      await releaseCompactorLock(b);
    } finally {
      a.release();
      b.release();
    }
  });

  test('the hot queries are served by indexes (EXPLAIN)', async () => {
    await pool.query(
      `insert into eckd_changes (actor, seq, revision, change) select '\\x01'::bytea, g, g + 100, '\\x00'::bytea from generate_series(1, 5000) g;
       insert into eckd_log (first_revision, last_revision, patches) select g + 100, g + 100, '\\x00'::bytea from generate_series(1, 5000) g;
       analyze eckd_changes; analyze eckd_log; analyze eckd_snapshots`,
    );
    const client = await pool.connect();
    try {
      await client.query('begin');
      // With sequential scans disabled the planner still uses one when no index can serve the query.
      await client.query('set local enable_seqscan = off');
      const plans: Record<string, string> = {};
      const spy: Queryable = {
        query: async (text, values) => {
          const plan = await client.query(`explain ${text}`, values);
          plans[text.replace(/\s+/g, ' ').slice(0, 60)] = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
          return client.query(text, values);
        },
      };
      await all(readStoredChanges(spy, { upToRevision: 3000, pageRows: 100 }));
      await all(readLogRows(spy, { fromRevision: 2000, upToRevision: 2100, pageRows: 1000 }));
      await highestLogRevisionAtOrBelow(spy, 4000);
      await countLogRowsBelow(spy, 4000);
      await latestSnapshotInfo(spy);
      for await (const _ of readSnapshotPieces(spy, 7, 'document', 1000));
      await client.query('rollback');
      for (const [query, plan] of Object.entries(plans)) assert.doesNotMatch(plan, /Seq Scan/, `${query}\n${plan}`);
      assert.ok(Object.keys(plans).length >= 6);
    } finally {
      client.release();
    }
  });

  test("a history cut keeps the latest snapshot's key index and its revisions", async () => {
    const durable = await durableRevision(pool);
    const before = await latestSnapshotInfo(pool);
    assert.ok(before && before.indexRevision > 0 && (await countStoredChanges(pool)) > 0);
    await appendBatch(pool, [{ firstRevision: durable + 1, lastRevision: durable + 1, patchBatch: Buffer.from('p'), rebase: { document: Buffer.from('base'), heads: ['hb'], keyCount: 2 } }]);
    const after = await latestSnapshotInfo(pool);
    assert.deepEqual(after, { ...before, throughRevision: durable + 1, heads: ['hb'], keyCount: 2, documentBytes: 4 });
    assert.deepEqual(await readSnapshotKeyIndex(pool, durable + 1), Buffer.from(`idx-${before.indexRevision}`));
    assert.equal(await countStoredChanges(pool), 0);
    const { rows } = await pool.query('select count(*)::int as n from eckd_snapshots');
    assert.equal(rows[0].n, 1);
  });
});


async function withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    return await fn(c);
  } finally {
    c.release();
  }
}

async function* mapPages(pieces: AsyncGenerator<Buffer>): AsyncGenerator<Buffer[]> {
  for await (const p of pieces) yield [p];
}
