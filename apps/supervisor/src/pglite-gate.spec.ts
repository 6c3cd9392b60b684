// Can PGlite serve several processes, each with a pool of connections, at
// once? These tests run real node-postgres pools and a raw wire client
// against the gate, and show where the stock pglite-socket multiplexer fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import {
  RawPgClient,
  bindMessage,
  columnNames,
  describePortalMessage,
  errorText,
  executeMessage,
  parseMessage,
  queryMessage,
  syncMessage,
} from '../test/raw-pg-client.js';
import { createLogger } from './log.js';
import { PgliteGate } from './pglite-gate.js';

const lockIdleTimeoutMs = 1500;
let db: PGlite;
let gate: PgliteGate;
let port: number;
const pools: pg.Pool[] = [];
const logLines: string[] = [];

function pool(max = 4): pg.Pool {
  const created = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max });
  created.on('error', () => {});
  pools.push(created);
  return created;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the promise is still pending after ms. */
async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise.then(() => 'settled', () => 'settled'), sleep(ms).then(() => marker)])) === marker;
}

/**
 * Client A sends Parse and the first half of Bind, pauses (as TCP does with a
 * big parameter), then the rest; meanwhile client B runs its own statement.
 * Returns the column A got back and B's result.
 */
async function splitBindScenario(serverPort: number, other: pg.Pool): Promise<{ columnsOfA: string[]; errorOfA: string | undefined; b: unknown }> {
  const a = await RawPgClient.connect(serverPort);
  const bind = bindMessage('', ['from-a']);
  a.send(Buffer.concat([parseMessage('', 'SELECT $1::text AS who_a'), bind.subarray(0, 7)]));
  await sleep(100);
  const b = other.query('SELECT $1::text AS who_b', ['from-b']).then((result) => result.rows[0], (error: Error) => error.message);
  await sleep(200);
  a.send(Buffer.concat([bind.subarray(7), describePortalMessage(), executeMessage(), syncMessage()]));
  const reply = await a.readUntilReady();
  a.close();
  return { columnsOfA: columnNames(reply), errorOfA: errorText(reply), b: await b };
}

before(async () => {
  db = await PGlite.create();
  gate = new PgliteGate({ db, host: '127.0.0.1', port: 0, lockIdleTimeoutMs, connectionsMax: 50, log: createLogger('gate', (line) => logLines.push(line)) });
  port = (await gate.start()).port;
  await db.exec('CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL); INSERT INTO counter VALUES (1, 0);');
  await db.exec('CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)');
  await db.exec('CREATE TABLE rows (id int PRIMARY KEY)');
});

after(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await gate.stop();
  await db.close();
});

describe('pglite gate', () => {
  test('pglite gate - two pools run interleaved transactions and big statements correctly', async () => {
    const persister = pool();
    const compactor = pool();
    const big = Buffer.alloc(1024 * 1024, 7);
    let wrong = 0;
    const increments = Array.from({ length: 60 }, async (_, i) => {
      const client = await (i % 2 === 0 ? persister : compactor).connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ v: number }>('SELECT v FROM counter WHERE id = $1 FOR UPDATE', [1]);
        await sleep(1);
        await client.query('UPDATE counter SET v = $1 WHERE id = $2', [rows[0]!.v + 1, 1]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    const blobs = Array.from({ length: 6 }, (_, i) => persister.query('INSERT INTO blobs VALUES ($1, $2)', [i, big]));
    const reads = Array.from({ length: 120 }, async (_, i) => {
      const sql = i % 2 === 0 ? `SELECT $1::int AS x, ${i} AS tag` : `SELECT ${i} AS tag, $1::int AS x, 'odd' AS kind`;
      const { rows } = await compactor.query<{ x: number; tag: number }>(sql, [i]);
      if (rows[0]!.x !== i || rows[0]!.tag !== i) wrong += 1;
    });
    await Promise.all([...increments, ...blobs, ...reads]);
    assert.equal(wrong, 0);
    const counter = await persister.query<{ v: number }>('SELECT v FROM counter WHERE id = 1');
    assert.equal(counter.rows[0]!.v, 60);
    const stored = await compactor.query<{ n: number; bytes: string }>('SELECT count(*)::int AS n, sum(length(data))::bigint AS bytes FROM blobs');
    assert.deepEqual(stored.rows[0], { n: 6, bytes: String(6 * big.length) });
  });

  test('pglite gate - a message split across TCP writes keeps the session until its Sync', async () => {
    const other = pool(1);
    const result = await splitBindScenario(port, other);
    assert.equal(result.errorOfA, undefined);
    assert.deepEqual(result.columnsOfA, ['who_a']);
    assert.deepEqual(result.b, { who_b: 'from-b' });
  });

  test('pglite gate - the stock pglite-socket multiplexer runs A\'s Bind against B\'s statement', async () => {
    const stock = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 10 });
    await stock.start();
    const stockPort = (stock as unknown as { port: number }).port;
    const other = new pg.Pool({ host: '127.0.0.1', port: stockPort, user: 'postgres', database: 'postgres', max: 1 });
    other.on('error', () => {});
    try {
      const result = await splitBindScenario(stockPort, other);
      // A asked for who_a and got B's statement executed with A's parameter.
      assert.deepEqual(result.columnsOfA, ['who_b'], 'if this fails, pglite-socket changed: revisit docs/EMBEDDED-SERVICES.md');
    } finally {
      await other.end();
      await stock.stop();
    }
  });

  test('pglite gate - others wait for a transaction and never see its rolled-back rows', async () => {
    const writer = await pool(1).connect();
    const reader = pool(1);
    await writer.query('BEGIN');
    await writer.query('INSERT INTO rows VALUES ($1)', [1]);
    const read = reader.query<{ n: number }>('SELECT count(*)::int AS n FROM rows');
    assert.equal(await stillPending(read, 150), true, 'the reader waits for the open transaction');
    await writer.query('ROLLBACK');
    writer.release();
    assert.equal((await read).rows[0]!.n, 0);
  });

  test('pglite gate - a new connection opens while another client holds a transaction', async () => {
    const holder = await pool(1).connect();
    await holder.query('BEGIN');
    const late = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    assert.equal(await stillPending(late.connect(), 500), false, 'start-up does not wait for the session');
    const query = late.query('SELECT 3 AS three');
    assert.equal(await stillPending(query, 100), true, 'but its first query does');
    await holder.query('COMMIT');
    holder.release();
    assert.deepEqual((await query).rows, [{ three: 3 }]);
    await late.end();
  });

  test('pglite gate - a failed transaction stays with its client until it rolls back', async () => {
    const writer = await pool(1).connect();
    await writer.query('BEGIN');
    await assert.rejects(writer.query('INSERT INTO counter VALUES ($1, 0)', [1]), /duplicate key/);
    const other = pool(1).query('SELECT 1 AS one');
    assert.equal(await stillPending(other, 150), true);
    await writer.query('ROLLBACK');
    writer.release();
    assert.deepEqual((await other).rows, [{ one: 1 }]);
  });

  test('pglite gate - a client that dies inside a transaction is rolled back and frees the session', async () => {
    const half = await RawPgClient.connect(port);
    const dying = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    dying.on('error', () => {});
    await dying.connect();
    await dying.query('BEGIN');
    await dying.query('INSERT INTO rows VALUES ($1)', [2]);
    const startedMs = Date.now();
    (dying as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    half.send(queryMessage('SELECT count(*) FROM rows WHERE id = 2'));
    const reply = await half.readUntilReady();
    half.close();
    assert.ok(Date.now() - startedMs < lockIdleTimeoutMs / 2, 'freed by the disconnect, not by the idle timeout');
    assert.equal(errorText(reply), undefined);
    const row = reply.find((message) => message.type === 'D')!;
    assert.equal(row.body.toString('utf8', 6), '0');
  });

  test('pglite gate - a client idle inside a transaction is disconnected after the timeout', async () => {
    const idle = await pool(1).connect();
    idle.on('error', () => {});
    await idle.query('BEGIN');
    const startedMs = Date.now();
    const other = await pool(1).query('SELECT 2 AS two');
    assert.deepEqual(other.rows, [{ two: 2 }]);
    assert.ok(Date.now() - startedMs >= lockIdleTimeoutMs - 100);
    await assert.rejects(idle.query('SELECT 1'));
    idle.release(true);
    assert.ok(logLines.some((line) => line.includes('idle inside a transaction')));
  });

  test('pglite gate - named prepared statements belong to their client', async () => {
    const first = await pool(1).connect();
    const second = await pool(1).connect();
    const a = await first.query({ name: 'same', text: 'SELECT $1::int + 1 AS n', values: [1] });
    const b = await second.query({ name: 'same', text: 'SELECT $1::text AS s', values: ['x'] });
    assert.deepEqual([a.rows, b.rows], [[{ n: 2 }], [{ s: 'x' }]]);
    assert.deepEqual((await first.query({ name: 'same', text: 'SELECT $1::int + 1 AS n', values: [5] })).rows, [{ n: 6 }]);
    first.release(true);
    second.release(true);
    await sleep(100);
    const left = await pool(1).query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE '%_same'");
    assert.equal(left.rows[0]!.n, 0, 'statements of departed clients are closed');
  });
});
