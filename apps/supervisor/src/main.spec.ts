// End to end: the supervisor (src/main.ts) runs a node made of dummy apps,
// a real nats-server and the embedded PGlite database, restarts what dies,
// stops in order, and keeps the data across restarts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
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

/** A password from a generated nats-server.conf (the test runs as its owner). */
function natsPassword(configFile: string, user: string): string {
  const match = readFileSync(configFile, 'utf8').match(new RegExp(`user: "${user}"\\n\\s+password: "([^"]+)"`));
  assert.ok(match, `no user ${user} in ${configFile}`);
  return match[1]!;
}

/** A raw NATS client connection, logged in once the server has greeted it; tells what the server sends. */
async function natsClient(port: number, user: string, pass: string): Promise<{ send(text: string): void; received(): string; close(): void }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => void (received += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('data', () => resolve());
  });
  socket.on('error', () => {});
  socket.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, user, pass, protocol: 1 })}\r\n`);
  return { send: (text) => socket.write(text), received: () => received, close: () => socket.destroy() };
}

/**
 * Whether a message published on one server reaches a subscriber on another,
 * as member 1's persister (which may publish replies) to member 3's backend
 * (which may receive under its own inbox prefix). Publishes until it arrives:
 * interest crosses a route a moment after the subscription.
 */
async function natsRouted(from: { port: number; configFile: string }, to: { port: number; configFile: string }, timeoutMs = 10_000): Promise<boolean> {
  const subject = `_INBOX.backend.routed-${process.pid}`;
  const subscriber = await natsClient(to.port, 'backend', natsPassword(to.configFile, 'backend'));
  const publisher = await natsClient(from.port, 'persister', natsPassword(from.configFile, 'persister'));
  try {
    subscriber.send(`SUB ${subject} 1\r\nPING\r\n`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      publisher.send(`PUB ${subject} 6\r\nrouted\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (subscriber.received().includes(`MSG ${subject} 1 6\r\nrouted`)) return true;
      assert.doesNotMatch(subscriber.received() + publisher.received(), /-ERR/);
    }
    return false;
  } finally {
    subscriber.close();
    publisher.close();
  }
}

/** Every line the supervisor prints is one JSON object. */
function json(line: string): Record<string, unknown> {
  return JSON.parse(line) as Record<string, unknown>;
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
    const auth = startSupervisor({ ECKD_BCRYPT_COST: '3', ECKD_APPS_DIR: appsDir });
    assert.equal(await auth.exited, 2);
    assert.match(auth.lines.join('\n'), /ECKD_BCRYPT_COST must be a whole number from 4 to 31/);
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
    assert.match(output, /^\{"child":"nats",.*Server Exiting/m, 'the NATS it started is stopped again');
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
      assert.match(run.lines.join('\n'), /^\{"child":"backend",.*"nats":\{[^}]*"auth":"user"/m, 'the backend connected as its user');
      assert.doesNotMatch(run.lines.join('\n'), /"password"|NATS_PASSWORD=/, 'no password is logged');
      // Every app's ops listener, from the first client port + ECKD_METRICS_PORT_OFFSET (2000).
      for (const [app, port] of [['backend', clientPort + 2000], ['persister', clientPort + 2001], ['compactor', clientPort + 2002], ['etcd-api-0', clientPort + 2003]] as const) {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        assert.deepEqual([res.status, await res.text()], [200, 'ok\n'], app);
      }
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  test('supervisor main - ECKD_NODES=3: three members of real apps, each serving on its port with its own database, NATS servers routed', { timeout: 300_000 }, async () => {
    const freePorts = async (count: number) => {
      const ports: number[] = [];
      while (ports.length < count) {
        const port = await findFreePort('127.0.0.1');
        if (!ports.includes(port)) ports.push(port);
      }
      return ports;
    };
    const [clientPorts, natsPorts, clusterPorts] = [await freePorts(3), await freePorts(3), await freePorts(3)];
    const database = `eckd_localcluster_${process.pid}_${Date.now()}`;
    const dataDir = join(workDir, 'cluster');
    const run = startSupervisor({
      ECKD_NODES: '3',
      DATABASE_URL: postgresAdminUrl.replace(/\/postgres$/, `/${database}`),
      ECKD_DATA_DIR: dataDir,
      ECKD_CLIENT_PORTS: clientPorts.join(','),
      ECKD_NATS_PORTS: natsPorts.join(','),
      ECKD_NATS_CLUSTER_PORTS: clusterPorts.join(','),
    });
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    try {
      await run.waitForLine(/local cluster of 3 members serving/, 240_000);
      const etcdctl = (port: number, ...args: string[]) =>
        execFileSync('etcdctl', [`--endpoints=127.0.0.1:${port}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } }).toString().trim();
      for (const [index, port] of clientPorts.entries()) {
        etcdctl(port, 'put', `member${index + 1}`, `served by node${index + 1}`);
        assert.equal(etcdctl(port, 'get', `member${index + 1}`, '--print-value-only'), `served by node${index + 1}`);
      }
      // The members replicate (ARCHITECTURE §8.3): every member's write is readable on every member.
      const everyWrite = 'member1\nserved by node1\nmember2\nserved by node2\nmember3\nserved by node3';
      const replicatedBy = Date.now() + 15_000;
      while (!clientPorts.every((port) => etcdctl(port, 'get', 'member', '--prefix') === everyWrite)) {
        assert.ok(Date.now() < replicatedBy, 'every member holds every write within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const databases = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname', [`${database}%`])).rows;
      assert.deepEqual(databases.map((row) => row.datname), [1, 2, 3].map((i) => `${database}_node${i}`));
      const server = (index: number) => ({ port: natsPorts[index]!, configFile: join(dataDir, `node${index + 1}`, 'nats-server.conf') });
      assert.ok(await natsRouted(server(0), server(2)), 'a message published on member 1\'s server reaches a subscriber on member 3\'s');
      assert.ok(await natsRouted(server(2), server(1)), 'and member 3 reaches member 2');
      const output = run.lines.join('\n');
      for (const member of ['node1', 'node2', 'node3']) {
        for (const child of ['nats', 'persister', 'compactor', 'backend', 'etcd-api-0']) {
          assert.match(output, new RegExp(`^\\{"child":"${member}/${child}",`, 'm'), `${member}/${child} output carries its member`);
        }
        assert.match(output, new RegExp(`^\\{"time":"[^"]+","level":"\\w+","service":"supervisor","node":"${member}",`, 'm'), `the supervisor's lines about ${member} name it`);
      }
      assert.doesNotMatch(output, /^\{"child":"(nats|backend|persister|etcd-api-0)",/m, 'no child line without its member');
      assert.ok(run.lines.every((line) => typeof json(line) === 'object'), 'every line is a JSON object');
    } finally {
      run.child.kill('SIGINT');
      const code = await run.exited;
      for (const i of [1, 2, 3]) await admin.query(`DROP DATABASE IF EXISTS ${database}_node${i} WITH (FORCE)`);
      await admin.end();
      assert.equal(code, 0);
    }
    // Ctrl-C stopped every member: each one's NATS last, after its apps.
    for (const member of ['node1', 'node2', 'node3']) {
      const stopped = (child: string) => run.lines.findIndex((line) => line.startsWith(`{"child":"${member}/${child}",`) && /"msg":"shutting down"|Initiating Shutdown/.test(line));
      assert.ok(stopped('nats') > stopped('backend') && stopped('backend') > stopped('etcd-api-0') && stopped('etcd-api-0') !== -1, `${member} stopped in order`);
    }
  });

  test('supervisor main - a joining member: after etcdctl member add, ECKD_INITIAL_CLUSTER_STATE=existing runs node3 beside ECKD_NODES=2, routed to node1; it joins and replicates', { timeout: 360_000 }, async () => {
    const ports: number[] = [];
    while (ports.length < 9) {
      const port = await findFreePort('127.0.0.1');
      if (!ports.includes(port)) ports.push(port);
    }
    const [clientPorts, natsPorts, clusterPorts] = [ports.slice(0, 3), ports.slice(3, 6), ports.slice(6, 9)];
    const database = `eckd_joining_${process.pid}_${Date.now()}`;
    const common = { DATABASE_URL: postgresAdminUrl.replace(/\/postgres$/, `/${database}`), ECKD_DATA_DIR: join(workDir, 'joining') };
    const portsOf = (members: number) => ({
      ECKD_CLIENT_PORTS: clientPorts.slice(0, members).join(','),
      ECKD_NATS_PORTS: natsPorts.slice(0, members).join(','),
      ECKD_NATS_CLUSTER_PORTS: clusterPorts.slice(0, members).join(','),
    });
    const etcdctl = (port: number, ...args: string[]) =>
      execFileSync('etcdctl', [`--endpoints=127.0.0.1:${port}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'pipe' }).toString().trim();
    /** Polls until `read` answers `expected` (etcdctl fails while a member is not serving yet). */
    const eventually = async (what: string, read: () => string, expected: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        let got = '';
        try {
          got = read();
        } catch {
          // not serving yet
        }
        if (got === expected) return;
        assert.ok(Date.now() < deadline, `${what}: got ${JSON.stringify(got)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const cluster = startSupervisor({ ...common, ECKD_NODES: '2', ...portsOf(2) });
    let joining: Run | undefined;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    try {
      await cluster.waitForLine(/local cluster of 2 members serving/, 240_000);
      etcdctl(clientPorts[0]!, 'put', 'before-join', 'from node1');
      const peerUrl = 'http://node3.invalid:2380';
      assert.match(etcdctl(clientPorts[0]!, 'member', 'add', 'node3', `--peer-urls=${peerUrl}`, '--learner', '--command-timeout=15s'), /Member +[0-9a-f]+ added to cluster/);
      joining = startSupervisor({ ...common, ECKD_INITIAL_CLUSTER_STATE: 'existing', ECKD_NODE_NAME: 'node3', ECKD_JOIN: 'node1', ECKD_PEER_URL: peerUrl, ...portsOf(3) });
      await joining.waitForLine(new RegExp(`client endpoints: http://127\\.0\\.0\\.1:${clientPorts[2]!}`), 240_000);
      // Its own database beside the cluster's, its output lines carry its member.
      const databases = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname', [`${database}%`])).rows;
      assert.deepEqual(databases.map((row) => row.datname), [1, 2, 3].map((i) => `${database}_node${i}`));
      assert.match(joining.lines.join('\n'), /^\{"child":"node3\/backend",/m);
      await eventually('node3 holds node1\'s write', () => etcdctl(clientPorts[2]!, 'get', 'before-join', '--print-value-only'), 'from node1');
      etcdctl(clientPorts[2]!, 'put', 'from-node3', 'joined');
      await eventually('node1 holds node3\'s write', () => etcdctl(clientPorts[0]!, 'get', 'from-node3', '--print-value-only'), 'joined');
      await eventually('node2 lists node3 by name', () => String(etcdctl(clientPorts[1]!, 'member', 'list').includes(', node3, ')), 'true');
    } finally {
      joining?.child.kill('SIGINT');
      cluster.child.kill('SIGINT');
      const codes = await Promise.all([joining?.exited ?? Promise.resolve(0), cluster.exited]);
      for (const i of [1, 2, 3]) await admin.query(`DROP DATABASE IF EXISTS ${database}_node${i} WITH (FORCE)`);
      await admin.end();
      assert.deepEqual(codes, [0, 0]);
    }
  });

  test('supervisor main - ECKD_NODES=2: a member that cannot start fails the start and the other member is stopped', { timeout: 120_000 }, async () => {
    // Member 2's NATS port is taken, so its nats-server cannot listen.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    try {
      const run = startSupervisor({
        ECKD_NODES: '2',
        ECKD_APPS_DIR: appsDir,
        ECKD_DATA_DIR: join(workDir, 'cluster-fails'),
        ECKD_CLIENT_PORTS: `${await findFreePort('127.0.0.1')},${await findFreePort('127.0.0.1')}`,
        ECKD_NATS_PORTS: `${await findFreePort('127.0.0.1')},${takenPort}`,
        ECKD_NATS_CLUSTER_PORTS: `${await findFreePort('127.0.0.1')},${await findFreePort('127.0.0.1')}`,
      });
      assert.equal(await run.exited, 1);
      const output = run.lines.join('\n');
      assert.match(output, /node2\/nats exited during start-up/);
      assert.match(output, /^\{"child":"node1\/nats",.*Server Exiting/m, 'member 1\'s NATS is stopped again');
      assert.doesNotMatch(output, /^\{"child":"node\d\/(persister|backend)",/m, 'no app was started');
    } finally {
      taken.close();
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
      // The fake apps serve no ops listener; this test checks their argv exactly.
      ECKD_METRICS_PORT_OFFSET: '0',
    };
    const first = startSupervisor(env);
    await first.waitForLine(/client endpoints: http:\/\/127\.0\.0\.1:\d+,http/, 180_000);

    const persister = json(await first.waitForLine(/^\{"child":"persister",.*"msg":"started"/));
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
    const frontend = json(await first.waitForLine(/^\{"child":"etcd-api-1",.*"msg":"started"/));
    const url1 = `http://127.0.0.1:${port1}`;
    assert.deepEqual(frontend['argv'], ['--name', 'n1', '--listen-client-urls', url1, '--advertise-client-urls', url1]);
    assert.equal((frontend['env'] as Record<string, string>)['NATS_USER'], 'etcd-api');
    assert.ok(first.lines.some((line) => json(line)['child'] === 'backend' && json(line)['msg'] === 'half a line'));

    // A backend that dies is restarted while the rest keeps running.
    const backend = json(await first.waitForLine(/^\{"child":"backend",.*"msg":"started"/));
    const seen = first.lines.length;
    process.kill(backend['pid'] as number, 'SIGKILL');
    await first.waitForLine(/^\{"time":"[^"]+","level":"warn","service":"supervisor",.*child exited; restarting.*"child":"backend"/, 10_000, seen);
    const again = json(await first.waitForLine(/^\{"child":"backend",.*"msg":"started"/, 10_000, seen));
    assert.notEqual(again['pid'], backend['pid']);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('CREATE TABLE kept (v text)');
    await db.query('INSERT INTO kept VALUES ($1)', ['survives a restart']);
    await db.end();

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const order = ['etcd-api-0', 'backend', 'compactor', 'persister', 'postgres', 'nats'].map((child) => `{"child":"${child}",`).map((prefix) =>
      first.lines.findIndex((line) => line.startsWith(prefix) && /"msg":"stopping"|Initiating Shutdown/.test(line)),
    );
    assert.ok(order.every((at, i) => at !== -1 && (i === 0 || at > order[i - 1]!)), `stop order: ${order.join(',')}`);

    // The apps of the second run ignore SIGTERM, so a stop hangs until a second signal; its frontends get the auth settings as etcd's flags.
    const second = startSupervisor({ ...env, DUMMY_MODE: 'ignore-term', ECKD_AUTH_TOKEN: 'simple', ECKD_AUTH_TOKEN_TTL: '600', ECKD_BCRYPT_COST: '12' });
    await second.waitForLine(/client endpoints/, 180_000);
    const url0 = `http://127.0.0.1:${port0}`;
    assert.deepEqual(json(await second.waitForLine(/^\{"child":"etcd-api-0",.*"msg":"started"/))['argv'], [
      '--name', 'n1', '--listen-client-urls', url0, '--advertise-client-urls', url0,
      '--auth-token', 'simple', '--auth-token-ttl', '600', '--bcrypt-cost', '12',
    ]);
    const url = (json(await second.waitForLine(/^\{"child":"persister",.*"msg":"started"/))['env'] as Record<string, string>)['DATABASE_URL']!;
    const reopened = new pg.Client({ connectionString: url });
    await reopened.connect();
    assert.deepEqual((await reopened.query('SELECT v FROM kept')).rows, [{ v: 'survives a restart' }]);
    await reopened.end();

    // Two signals: everything is killed at once.
    const pids = second.lines
      .filter((line) => /^\{"child":"(persister|compactor|backend|etcd-api-\d)",.*"msg":"started"/.test(line))
      .map((line) => json(line)['pid'] as number);
    const beforeStop = second.lines.length;
    second.child.kill('SIGINT');
    await second.waitForLine(/ignoring SIGTERM/, 10_000, beforeStop);
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 130);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(pids.filter(isAlive), []);
  });
});
