import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { appendBatch } from './change-log.js';
import { readBackup, readMeta, restoreBackup, storageSizes, vacuumFull, writeMeta } from './maintenance.js';
import { specDatabases } from '../test/spec-databases.js';

const databases = specDatabases();
const freshPool = () => databases.fresh();

let source: pg.Pool;
before(async () => {
  source = await freshPool();
});

after(() => databases.dropAll());

const row = (seq: number, revision: number, bytes = 64) => ({
  change: { actor: Buffer.from('aa01', 'hex'), seq, bytes: randomBytes(bytes) },
  firstRevision: revision,
  lastRevision: revision,
  patchBatch: randomBytes(bytes),
});

describe('storage maintenance', () => {
  test('sizes grow with the stored rows and VACUUM FULL gives deleted rows back', async () => {
    const empty = await storageSizes(source);
    assert.ok(empty.dbSize > 0 && empty.dbSizeInUse <= empty.dbSize, JSON.stringify(empty));
    for (let i = 1; i <= 20; i++) await appendBatch(source, [row(i, i + 1, 16_000)]);
    const full = await storageSizes(source);
    assert.ok(full.dbSize > empty.dbSize + 300_000, `${full.dbSize} after 20 × 32 kB`);
    await source.query('delete from eckd_log where last_revision < 15');
    // A transaction elsewhere on the server (an autovacuum ANALYZE of this
    // new database, say) can keep the deleted rows visible for a moment.
    let vacuumed = full;
    for (let attempt = 0; attempt < 20 && vacuumed.dbSize >= full.dbSize; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250));
      await vacuumFull(source);
      vacuumed = await storageSizes(source);
    }
    assert.ok(vacuumed.dbSize < full.dbSize, `${vacuumed.dbSize} < ${full.dbSize}`);
  });

  test('meta values are written and replaced', async () => {
    assert.equal(await readMeta(source, 'maintenance'), undefined);
    await writeMeta(source, 'maintenance', '{"alarms":[]}');
    await writeMeta(source, 'maintenance', '{"alarms":[1]}');
    assert.equal(await readMeta(source, 'maintenance'), '{"alarms":[1]}');
  });

  test('a backup restores every row byte for byte into an empty database, and only there', async () => {
    await appendBatch(source, [{ firstRevision: 0, lastRevision: 21, compactRevision: 18 }]);
    const backup = await readBackup(source);
    assert.equal(backup.revision, 21);
    assert.equal(backup.compactRevision, 18);
    const target = await freshPool();
    const { rows } = await restoreBackup(target, backup);
    const dump = async (p: pg.Pool) => ({
      changes: (await p.query('select actor, seq, revision, change from eckd_changes order by actor, seq')).rows,
      log: (await p.query('select * from eckd_log order by last_revision')).rows,
      meta: (await p.query('select * from eckd_meta order by key')).rows,
    });
    const [a, b] = [await dump(source), await dump(target)];
    assert.deepEqual(b, a);
    assert.equal(rows, a.changes.length + a.log.length + a.meta.length + (await target.query('select count(*)::int as n from eckd_snapshots').then((r) => r.rows[0].n as number, () => 0)));
    await assert.rejects(restoreBackup(target, backup), /not empty/);
    await assert.rejects(restoreBackup(await freshPool(), { ...backup, schemaVersion: 999 }), /schema version 999/);
  });
});
