// ensureDatabase against the real Postgres of the tests.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ensureDatabase } from './member-database.js';

const postgresAdminUrl = process.env['ECKD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('member-database', () => {
  test('member-database - creates a missing database once; an existing one is left as it is', async () => {
    const name = `eckd_member_db_${process.pid}_${Date.now()}_node1`;
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    try {
      assert.equal(await ensureDatabase(url.toString()), true);
      assert.equal(await ensureDatabase(url.toString()), false);
      const member = new pg.Client({ connectionString: url.toString() });
      await member.connect();
      assert.equal((await member.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db, name);
      await member.end();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
