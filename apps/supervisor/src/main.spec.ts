// End to end: the supervisor (src/main.ts) runs a node made of dummy apps,
// a real nats-server and the embedded PGlite database, restarts what dies,
// stops in order, and keeps the data across restarts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLineSplitter } from './line-splitter.js';
import { findFreePort } from './net-probe.js';

/** Postgres for the real apps (the embedded one is covered by the dummy-app runs). */
const postgresAdminUrl = process.env['ECKD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const mainScript = fileURLToPath(new URL('./main.ts', import.meta.url));
const dummyApp = fileURLToPath(new URL('../test/fixtures/dummy-app.mjs', import.meta.url));
let workDir: string;
let appsDir: string;

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  exited: Promise<number | null>;
}

function startSupervisor(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@eckd/source', mainScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let wake: () => void = () => {};
  const splitter = createLineSplitter((line) => {
    lines.push(line);
    wake();
  });
  child.stdout!.on('data', (chunk: Buffer) => splitter.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => splitter.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLine = async (pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.slice(from).find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`no line matching ${pattern}:\n${lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  return { child, lines, waitForLine, exited };
}

/** The INFO a NATS server greets every client with. */
function natsInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(JSON.parse(chunk.toString().replace(/^INFO /, '').split('\r\n')[0]!) as Record<string, unknown>);
    });
  });
}

function jsonAfterPrefix(line: string): Record<string, unknown> {
  return JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
}

/** Alive and not a zombie (an orphan may wait a while for init to reap it). */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'eckd-supervisor-'));
  appsDir = join(workDir, 'apps');
  for (const app of ['persister', 'compactor', 'backend', 'etcd-api']) {
    const script = join(appsDir, app, 'dist', 'main.js');
    mkdirSync(dirname(script), { recursive: true });
    writeFileSync(script, `process.env.DUMMY_NAME = '${app}';\nawait import(${JSON.stringify(dummyApp)});\n`);
  }
});

after(() => rmSync(workDir, { recursive: true, force: true }));

describe('supervisor main', () => {
  test('supervisor main - bad configuration exits 2 with a clear message', async () => {
    const run = startSupervisor({ ECKD_FRONTENDS: '0', ECKD_APPS_DIR: appsDir });
    assert.equal(await run.exited, 2);
    assert.match(run.lines.join('\n'), /ECKD_FRONTENDS must be a whole number from 1/);
  });

  test('supervisor main - no NATS and no nats-server: exit 1 with install advice', async () => {
    const port = await findFreePort('127.0.0.1');
    const run = startSupervisor({
      PATH: dirname(process.execPath),
      NATS_URL: `nats://127.0.0.1:${port}`,
      ECKD_APPS_DIR: appsDir,
      ECKD_DATA_DIR: join(workDir, 'no-nats'),
    });
    assert.equal(await run.exited, 1);
    assert.match(run.lines.join('\n'), /apt-get install nats-server/);
  });

  test('supervisor main - a database directory in use fails the start at once', async () => {
    const dataDir = join(workDir, 'locked');
    mkdirSync(join(dataDir, 'pglite'), { recursive: true });
    writeFileSync(join(dataDir, 'pglite.pid'), `${process.pid}\n`);
    const natsPort = await findFreePort('127.0.0.1');
    const run = startSupervisor({ NATS_URL: `nats://127.0.0.1:${natsPort}`, ECKD_APPS_DIR: appsDir, ECKD_DATA_DIR: dataDir });
    assert.equal(await run.exited, 1);
    const output = run.lines.join('\n');
    assert.match(output, new RegExp(`pglite is in use by process ${process.pid}`));
    assert.match(output, /postgres exited during start-up/);
    assert.match(output, /\[nats\] .*Server Exiting/, 'the NATS it started is stopped again');
  });

  test('supervisor main - the real apps on the embedded NATS with generated users serve a put and a get', { timeout: 240_000 }, async () => {
    const natsPort = await findFreePort('127.0.0.1');
    const clientPort = await findFreePort('127.0.0.1');
    const database = `eckd_supervisor_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const run = startSupervisor({
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      DATABASE_URL: postgresAdminUrl.replace(/\/postgres$/, `/${database}`),
      ECKD_DATA_DIR: join(workDir, 'real'),
      ECKD_CLIENT_PORTS: String(clientPort),
    });
    try {
      await run.waitForLine(/client endpoints/, 180_000);
      const endpoint = `--endpoints=127.0.0.1:${clientPort}`;
      execFileSync('etcdctl', [endpoint, 'put', 'supervised', 'yes'], { env: { ...process.env, ETCDCTL_API: '3' } });
      assert.equal(execFileSync('etcdctl', [endpoint, 'get', 'supervised', '--print-value-only'], { env: { ...process.env, ETCDCTL_API: '3' } }).toString().trim(), 'yes');
      assert.equal((await natsInfo(natsPort))['auth_required'], true, 'the embedded NATS refuses anonymous clients');
      assert.match(run.lines.join('\n'), /\[backend\] .*"nats":\{[^}]*"auth":"user"/, 'the backend connected as its user');
      assert.doesNotMatch(run.lines.join('\n'), /"password"|NATS_PASSWORD=/, 'no password is logged');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  test('supervisor main - runs, restarts, stops in order, keeps data', { timeout: 240_000 }, async () => {
    const natsPort = await findFreePort('127.0.0.1');
    const [port0, port1] = [await findFreePort('127.0.0.1'), await findFreePort('127.0.0.1')];
    const env = {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      ECKD_DATA_DIR: join(workDir, 'data'),
      ECKD_APPS_DIR: appsDir,
      ECKD_CLIENT_PORTS: `${port0},${port1}`,
      ECKD_NODE_NAME: 'n1',
      OTEL_SERVICE_NAME: 'passed-through',
    };
    const first = startSupervisor(env);
    await first.waitForLine(/client endpoints: http:\/\/127\.0\.0\.1:\d+,http/, 180_000);

    const persister = jsonAfterPrefix(await first.waitForLine(/^\[persister\] .*"msg":"started"/));
    const databaseUrl = (persister['env'] as Record<string, string>)['DATABASE_URL']!;
    assert.match(databaseUrl, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    assert.equal((persister['env'] as Record<string, string>)['OTEL_SERVICE_NAME'], 'passed-through');
    // The embedded NATS has a user per service kind; each app connects as its own.
    assert.equal((persister['env'] as Record<string, string>)['NATS_USER'], 'persister');
    assert.equal((persister['env'] as Record<string, string>)['NATS_INBOX_PREFIX'], '_INBOX.persister');
    assert.ok(((persister['env'] as Record<string, number>)['natsPasswordLength'] ?? 0) >= 32);
    const natsConfig = readFileSync(join(env.ECKD_DATA_DIR, 'nats-server.conf'), 'utf8');
    for (const kind of ['etcd-api', 'backend', 'persister', 'compactor']) assert.match(natsConfig, new RegExp(`user: "${kind}"`));
    assert.match(natsConfig, /subscribe: \{ allow: \["eckd\.n1\.persister\.append\.v1"/);
    assert.doesNotMatch(first.lines.join('\n'), /password: "/, 'passwords are not logged');
    const frontend = jsonAfterPrefix(await first.waitForLine(/^\[etcd-api-1\] .*"msg":"started"/));
    const url1 = `http://127.0.0.1:${port1}`;
    assert.deepEqual(frontend['argv'], ['--name', 'n1', '--listen-client-urls', url1, '--advertise-client-urls', url1]);
    assert.equal((frontend['env'] as Record<string, string>)['NATS_USER'], 'etcd-api');
    assert.ok(first.lines.includes('[backend] half a line'));

    // A backend that dies is restarted while the rest keeps running.
    const backend = jsonAfterPrefix(await first.waitForLine(/^\[backend\] .*"msg":"started"/));
    const seen = first.lines.length;
    process.kill(backend['pid'] as number, 'SIGKILL');
    await first.waitForLine(/^\[supervisor\] .*child exited; restarting.*"child":"backend"/, 10_000, seen);
    const again = jsonAfterPrefix(await first.waitForLine(/^\[backend\] .*"msg":"started"/, 10_000, seen));
    assert.notEqual(again['pid'], backend['pid']);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('CREATE TABLE kept (v text)');
    await db.query('INSERT INTO kept VALUES ($1)', ['survives a restart']);
    await db.end();

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const order = ['[etcd-api-0] ', '[backend] ', '[compactor] ', '[persister] ', '[postgres] ', '[nats] '].map((prefix) =>
      first.lines.findIndex((line) => line.startsWith(prefix) && /"msg":"stopping"|Initiating Shutdown/.test(line)),
    );
    assert.ok(order.every((at, i) => at !== -1 && (i === 0 || at > order[i - 1]!)), `stop order: ${order.join(',')}`);

    // The apps of the second run ignore SIGTERM, so a stop hangs until a second signal.
    const second = startSupervisor({ ...env, DUMMY_MODE: 'ignore-term' });
    await second.waitForLine(/client endpoints/, 180_000);
    const url = (jsonAfterPrefix(await second.waitForLine(/^\[persister\] .*"msg":"started"/))['env'] as Record<string, string>)['DATABASE_URL']!;
    const reopened = new pg.Client({ connectionString: url });
    await reopened.connect();
    assert.deepEqual((await reopened.query('SELECT v FROM kept')).rows, [{ v: 'survives a restart' }]);
    await reopened.end();

    // Two signals: everything is killed at once.
    const pids = second.lines
      .filter((line) => /^\[(persister|compactor|backend|etcd-api-\d)\] .*"msg":"started"/.test(line))
      .map((line) => jsonAfterPrefix(line)['pid'] as number);
    const beforeStop = second.lines.length;
    second.child.kill('SIGINT');
    await second.waitForLine(/ignoring SIGTERM/, 10_000, beforeStop);
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 130);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(pids.filter(isAlive), []);
  });
});
