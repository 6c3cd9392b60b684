import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { appendBatch, durableRevision, readChanges, readCompactRevision, readLog, readPeerSyncStates } from './change-log.js';
import { migrate, migrations } from './migrations.js';
import { latestSnapshotInfo, readLatestSnapshot } from './snapshots.js';
import { specDatabases } from '../test/spec-databases.js';

const databases = specDatabases();
let pool: pg.Pool;

before(async () => {
  // Not migrated: the first test migrates it.
  pool = await databases.fresh({ migrate: false });
});

after(() => databases.dropAll());

describe('storage', () => {
  test('migrations are applied once, also when two run together', async () => {
    const [a, b] = await Promise.all([migrate(pool), migrate(pool)]);
    assert.deepEqual([...a, ...b].sort(), migrations.map((m) => m.version));
    assert.deepEqual(await migrate(pool), []);
  });

  test('append is idempotent and reads back in revision order', async () => {
    const actor = Buffer.from('aa01', 'hex');
    const row = (seq: number, first: number, last: number) => ({
      change: { actor, seq, bytes: Buffer.from(`change-${seq}`) },
      firstRevision: first,
      lastRevision: last,
      patchBatch: Buffer.from(`patch-${last}`),
    });
    assert.equal(await appendBatch(pool, [row(1, 2, 4)]), 4);
    assert.equal(await appendBatch(pool, [row(1, 2, 4)]), 4); // retried append
    assert.equal(await appendBatch(pool, [row(2, 5, 5), { firstRevision: 6, lastRevision: 6, patchBatch: Buffer.from('patch-6') }]), 6);
    const changes: string[] = [];
    for await (const page of readChanges(pool, 1)) changes.push(...page.map((b) => b.toString()));
    assert.deepEqual(changes, ['change-1', 'change-2']);
    const log: string[] = [];
    for await (const page of readLog(pool, 2)) log.push(...page.map((b) => b.toString()));
    assert.deepEqual(log, ['patch-4', 'patch-5', 'patch-6']);
    assert.equal(await durableRevision(pool), 6);
  });

  test("peers' changes are stored with the batch under their own actor and sequence, once", async () => {
    const p = await databases.fresh();
    const own = { actor: Buffer.from('cc01', 'hex'), seq: 1, bytes: Buffer.from('own-1') };
    const peer = (seq: number) => ({ actor: Buffer.from('dd02', 'hex'), seq, bytes: Buffer.from(`peer-${seq}`) });
    await appendBatch(p, [{ change: own, peerChanges: [peer(1), peer(2)], firstRevision: 2, lastRevision: 2, patchBatch: Buffer.from('patch-2') }]);
    // The same peer change again (a push and a sync round both brought it): stored once.
    await appendBatch(p, [{ peerChanges: [peer(2), peer(3)], firstRevision: 3, lastRevision: 3, patchBatch: Buffer.from('patch-3') }]);
    const changes: string[] = [];
    for await (const page of readChanges(p)) changes.push(...page.map((b) => b.toString()));
    assert.deepEqual(changes.sort(), ['own-1', 'peer-1', 'peer-2', 'peer-3']);
  });

  test("peers' sync states are stored by member, the newest winning", async () => {
    const p = await databases.fresh();
    const member = '18446744073709551615';
    await appendBatch(p, [{ firstRevision: 0, lastRevision: 1, peerSyncStates: [{ member, state: Buffer.from('old') }, { member: '7', state: Buffer.from('s7') }] }]);
    await appendBatch(p, [{ firstRevision: 0, lastRevision: 1, peerSyncStates: [{ member, state: Buffer.from('new') }] }]);
    const stored = (await readPeerSyncStates(p)).map((s) => `${s.member}=${Buffer.from(s.state).toString()}`);
    assert.deepEqual(stored, [`${member}=new`, '7=s7']);
  });

  test('the compact revision is stored and never goes backwards', async () => {
    assert.equal(await readCompactRevision(pool), undefined);
    await appendBatch(pool, [{ firstRevision: 0, lastRevision: 6, compactRevision: 5 }]);
    assert.equal(await readCompactRevision(pool), 5);
    await appendBatch(pool, [{ firstRevision: 0, lastRevision: 6, compactRevision: 3 }]);
    assert.equal(await readCompactRevision(pool), 5);
    await appendBatch(pool, [{ firstRevision: 7, lastRevision: 7, patchBatch: Buffer.from('p7'), compactRevision: 6 }]);
    assert.equal(await readCompactRevision(pool), 6);
    assert.equal(await durableRevision(pool), 7);
  });

  test('a history cut becomes the snapshot and replaces every stored change up to its revision, once', async () => {
    const actor = Buffer.from('aa02', 'hex');
    const cut = {
      change: { actor, seq: 1, bytes: Buffer.from('change-at-8') },
      firstRevision: 8,
      lastRevision: 8,
      patchBatch: Buffer.from('p8'),
      rebase: { document: Buffer.from('base-at-8'), heads: ['h8'], keyCount: 3 },
    };
    assert.equal(await appendBatch(pool, [cut]), 8);
    // no snapshot before: no key index, the stored compact revision
    assert.deepEqual(await latestSnapshotInfo(pool), {
      throughRevision: 8, indexRevision: 0, compactRevision: 6, heads: ['h8'], keyCount: 3, documentBytes: 9, indexBytes: 0, lineage: null,
    });
    assert.deepEqual((await readLatestSnapshot(pool))?.document, Buffer.from('base-at-8'));
    assert.deepEqual(await storedChanges(), []);
    // a retried append changes nothing; the next batch's change is kept
    assert.equal(await appendBatch(pool, [cut]), 8);
    assert.deepEqual(await storedChanges(), []);
    await appendBatch(pool, [{ change: { actor: Buffer.from('bb', 'hex'), seq: 1, bytes: Buffer.from('after-cut') }, firstRevision: 9, lastRevision: 9, patchBatch: Buffer.from('p9') }]);
    assert.deepEqual(await storedChanges(), ['after-cut']);
    assert.equal((await latestSnapshotInfo(pool))?.throughRevision, 8);
    // etcd's history is not cut
    const log: string[] = [];
    for await (const page of readLog(pool)) log.push(...page.map((b) => b.toString()));
    assert.deepEqual(log, ['patch-4', 'patch-5', 'patch-6', 'p7', 'p8', 'p9']);
  });
});

async function storedChanges(): Promise<string[]> {
  const out: string[] = [];
  for await (const page of readChanges(pool)) out.push(...page.map((b) => b.toString()));
  return out;
}
