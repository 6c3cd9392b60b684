// The append chain (ARCHITECTURE §2): a pipelined append is stored only
// right after its predecessor, whatever order the appends reach Postgres in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { appendBatch, claimFencingEpoch, durableRevision, readChanges, readLog } from './change-log.js';
import { specDatabases } from '../test/spec-databases.js';

const databases = specDatabases();
let pool: pg.Pool;

before(async () => {
  pool = await databases.fresh();
});

after(() => databases.dropAll());

const row = (actor: string, seq: number, revision: number) => ({
  change: { actor: Buffer.from(actor, 'hex'), seq, bytes: Buffer.from(`change-${actor}-${seq}`) },
  firstRevision: revision,
  lastRevision: revision,
  patchBatch: Buffer.from(`patch-${revision}`),
});

async function stored(): Promise<{ changes: string[]; log: string[]; durable: number }> {
  const changes: string[] = [];
  for await (const page of readChanges(pool)) changes.push(...page.map((b) => b.toString()));
  const log: string[] = [];
  for await (const page of readLog(pool)) log.push(...page.map((b) => b.toString()));
  return { changes, log, durable: await durableRevision(pool) };
}

describe('append chain', () => {
  test('an append whose predecessor is not stored is refused and writes nothing; once the predecessor is, it is stored', async () => {
    const epoch = await claimFencingEpoch(pool);
    assert.equal(await appendBatch(pool, [row('a1', 1, 2)], { fencingEpoch: epoch, appendIndex: 1 }), 2);
    const before = await stored();
    // append 3 overtakes append 2 (2 failed in Postgres, or was lost with a persister)
    await assert.rejects(appendBatch(pool, [row('a1', 3, 4)], { fencingEpoch: epoch, appendIndex: 3 }), { name: 'OutOfOrderAppendError' });
    assert.deepEqual(await stored(), before, 'nothing of the refused append');
    assert.equal(await appendBatch(pool, [row('a1', 2, 3)], { fencingEpoch: epoch, appendIndex: 2 }), 3);
    assert.equal(await appendBatch(pool, [row('a1', 3, 4)], { fencingEpoch: epoch, appendIndex: 3 }), 4);
    assert.deepEqual((await stored()).log, ['patch-2', 'patch-3', 'patch-4']);
  });

  test('a retry of a stored append succeeds, writes nothing twice and does not move the chain back', async () => {
    const epoch = await claimFencingEpoch(pool);
    const base = await durableRevision(pool);
    await appendBatch(pool, [row('b1', 1, base + 1)], { fencingEpoch: epoch, appendIndex: 1 });
    await appendBatch(pool, [row('b1', 2, base + 2)], { fencingEpoch: epoch, appendIndex: 2 });
    const before = await stored();
    // the reply to append 1 was lost: its retry arrives after append 2
    assert.equal(await appendBatch(pool, [row('b1', 1, base + 1)], { fencingEpoch: epoch, appendIndex: 1 }), base + 1);
    assert.deepEqual(await stored(), before);
    assert.equal(await appendBatch(pool, [row('b1', 3, base + 3)], { fencingEpoch: epoch, appendIndex: 3 }), base + 3, 'the chain is still at 2');
  });

  test("a new backend's chain starts at 1 whatever the older one reached; a later index is refused", async () => {
    const older = await claimFencingEpoch(pool);
    const base = await durableRevision(pool);
    await appendBatch(pool, [row('c1', 1, base + 1)], { fencingEpoch: older, appendIndex: 1 });
    const newer = await claimFencingEpoch(pool);
    await assert.rejects(appendBatch(pool, [row('d1', 2, base + 2)], { fencingEpoch: newer, appendIndex: 2 }), { name: 'OutOfOrderAppendError' });
    assert.equal(await appendBatch(pool, [row('d1', 1, base + 2)], { fencingEpoch: newer, appendIndex: 1 }), base + 2);
    // outside the chain (a fencing check): neither checked nor moving it
    assert.equal(await appendBatch(pool, [{ firstRevision: 0, lastRevision: base + 2 }], { fencingEpoch: newer }), base + 2);
    assert.equal(await appendBatch(pool, [row('d1', 2, base + 3)], { fencingEpoch: newer, appendIndex: 2 }), base + 3);
  });

  test('the chain is checked with the fence: a stale epoch is refused as fenced, not as out of order', async () => {
    const older = await claimFencingEpoch(pool);
    await claimFencingEpoch(pool);
    const base = await durableRevision(pool);
    await assert.rejects(appendBatch(pool, [row('e1', 5, base + 1)], { fencingEpoch: older, appendIndex: 5 }), { name: 'FencedAppendError' });
  });
});
