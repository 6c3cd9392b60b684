import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, testPgAdminUrl } from './test-database.js';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: testPgAdminUrl() });
  await admin.connect();
  try {
    const res = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return res.rowCount === 1;
  } finally {
    await admin.end();
  }
}

test('a test database is created, usable, and dropped even with open connections', async () => {
  const db = await createTestDatabase();
  assert.match(db.name, /^eckd_t_[0-9a-f]+$/);
  assert.ok(db.url.endsWith(`/${db.name}`));
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined); // the drop terminates this connection
  await client.connect();
  await client.query('CREATE TABLE t (k text PRIMARY KEY, v int)');
  await client.query("INSERT INTO t VALUES ('a', 1)");
  const res = await client.query<{ v: number }>('SELECT v FROM t');
  assert.deepEqual(res.rows, [{ v: 1 }]);
  assert.equal(await databaseExists(db.name), true);

  await db.drop();
  await db.drop();
  assert.equal(await databaseExists(db.name), false);
  await client.end().catch(() => undefined);
});
