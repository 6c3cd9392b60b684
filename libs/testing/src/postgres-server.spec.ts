import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgresServer } from './postgres-server.js';

test('a private postgres starts, keeps data across a restart and a crash, and stops', async () => {
  await using server = await startPostgresServer();
  const query = async (sql: string) => {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  await query('create table t (v int)');
  await query('insert into t values (1)');
  await server.restart();
  await server.restart({ crash: true });
  assert.deepEqual(await query('select v from t'), [{ v: 1 }]);
});
