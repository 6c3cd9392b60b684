import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { appendBatch, claimFencingEpoch, durableRevision, readChanges, readCompactRevision, readLog } from './change-log.js';
import { acquireNodeLock } from './node-lock.js';
import { specDatabases } from '../test/spec-databases.js';

const databases = specDatabases();
let pool: pg.Pool;

before(async () => {
  pool = await databases.fresh();
});

after(() => databases.dropAll());

const row = (actor: string, seq: number, first: number, last: number, patches = `patch-${last}`) => ({
  change: { actor: Buffer.from(actor, 'hex'), seq, bytes: Buffer.from(`change-${actor}-${seq}`) },
  firstRevision: first,
  lastRevision: last,
  patchBatch: Buffer.from(patches),
});

async function stored(): Promise<{ changes: string[]; log: string[]; durable: number; compact: number | undefined }> {
  const changes: string[] = [];
  for await (const page of readChanges(pool)) changes.push(...page.map((b) => b.toString()));
  const log: string[] = [];
  for await (const page of readLog(pool)) log.push(...page.map((b) => b.toString()));
  return { changes, log, durable: await durableRevision(pool), compact: await readCompactRevision(pool) };
}

describe('fencing', () => {
  test('an append with a stale fencing epoch is refused and changes nothing', async () => {
    const first = await claimFencingEpoch(pool);
    assert.equal(await appendBatch(pool, [row('a1', 1, 2, 3)], { fencingEpoch: first }), 3);
    const second = await claimFencingEpoch(pool);
    assert.equal(second, first + 1, 'epochs increase');
    const before = await stored();
    await assert.rejects(
      appendBatch(pool, [{ ...row('a1', 2, 4, 4), compactRevision: 3 }], { fencingEpoch: first }),
      { name: 'FencedAppendError' },
    );
    await assert.rejects(
      appendBatch(pool, [{ ...row('a1', 2, 4, 4), rebase: { document: Buffer.from('doc'), heads: ['h'], keyCount: 1 } }], { fencingEpoch: first }),
      { name: 'FencedAppendError' },
    );
    await assert.rejects(appendBatch(pool, [row('a1', 2, 4, 4)], { fencingEpoch: 0 }), { name: 'FencedAppendError' });
    assert.deepEqual(await stored(), before);
    assert.equal(await appendBatch(pool, [row('b1', 1, 4, 4)], { fencingEpoch: second }), 4);
    assert.equal((await stored()).durable, 4);
  });

  test('an append whose revisions are stored with other events is refused and changes nothing; a retry is idempotent', async () => {
    const epoch = await claimFencingEpoch(pool);
    assert.equal(await appendBatch(pool, [row('c1', 1, 5, 6)], { fencingEpoch: epoch }), 6);
    assert.equal(await appendBatch(pool, [row('c1', 1, 5, 6)], { fencingEpoch: epoch }), 6, 'the same append again');
    const before = await stored();
    // the same last revision, other events
    await assert.rejects(appendBatch(pool, [row('d1', 1, 5, 6, 'other')]), { name: 'ConflictingAppendError' });
    // an overlapping range
    await assert.rejects(appendBatch(pool, [row('d1', 1, 6, 7)], { fencingEpoch: epoch }), { name: 'ConflictingAppendError' });
    assert.deepEqual(await stored(), before);
  });

  test('an append overlapping any stored range is refused, whichever stored row it meets (one index probe per new row)', async () => {
    const epoch = await claimFencingEpoch(pool);
    for (const [first, last] of [[20, 22], [23, 23], [24, 30], [31, 31]] as const) await appendBatch(pool, [row(`e0${first}`, 1, first, last)], { fencingEpoch: epoch });
    const before = await stored();
    for (const [first, last] of [[21, 21], [22, 24], [18, 40], [26, 28], [30, 31], [19, 20], [23, 23]] as const) {
      await assert.rejects(appendBatch(pool, [row('f1', 1, first, last, 'other')], { fencingEpoch: epoch }), { name: 'ConflictingAppendError' }, `${first}..${last}`);
    }
    // the same rows again: idempotent, in any order
    assert.equal(await appendBatch(pool, [row('e024', 1, 24, 30), row('e020', 1, 20, 22)], { fencingEpoch: epoch }), 30);
    assert.deepEqual(await stored(), before);
    assert.equal(await appendBatch(pool, [row('a9', 1, 32, 33)], { fencingEpoch: epoch }), 33, 'the next range is free');
  });

  test('a claim waits for the append in flight and sees it', async () => {
    const epoch = await claimFencingEpoch(pool);
    const holder = await pool.connect();
    try {
      await holder.query('begin');
      // the append's share lock, as an append transaction holds it until commit
      await holder.query(`select 1 from eckd_meta where key = 'fencing_epoch' for share`);
      let claimed = false;
      const claim = claimFencingEpoch(pool).then((e) => ((claimed = true), e));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(claimed, false, 'the claim waits for the append');
      await holder.query('commit');
      assert.equal(await claim, epoch + 1);
    } finally {
      holder.release();
    }
  });
});

describe('node lock', () => {
  test('one session at a time holds a node; the next takes over when it is released', async () => {
    const url = pool.options.connectionString!;
    const lost: Error[] = [];
    const first = await acquireNodeLock(url, 'n1', { waitMs: 0, onLost: (e) => lost.push(e) });
    await assert.rejects(acquireNodeLock(url, 'n1', { waitMs: 300, onLost: (e) => lost.push(e) }), { name: 'NodeLockHeldError', message: /another persister holds node n1/ });
    const other = await acquireNodeLock(url, 'n2', { waitMs: 0, onLost: (e) => lost.push(e) });
    const waiting = acquireNodeLock(url, 'n1', { waitMs: 5_000, onLost: (e) => lost.push(e) });
    await new Promise((r) => setTimeout(r, 300));
    await first.release();
    const second = await waiting;
    await Promise.all([second.release(), other.release()]);
    assert.deepEqual(lost, [], 'a release is not a loss');
  });
});
