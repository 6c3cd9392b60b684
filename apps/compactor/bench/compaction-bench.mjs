// What the compactor saves: Postgres storage before and after a compaction,
// and how long the backend takes to recover with and without a snapshot.
//
//   npm run build && node apps/compactor/bench/compaction-bench.mjs [--keys 100000] [--history 20000] [--keep 10000] [--clients 64] [--text]
//
// One node (persister, backend, one etcd-api) on a private NATS and a fresh
// database of the local Postgres (ECKD_TEST_PG_URL or postgres@127.0.0.1),
// loaded by `clients` concurrent etcd3-client puts (fewer clients: smaller
// batches, so more Automerge changes): `keys` puts of 256 B values on
// distinct keys, then `history` puts over random keys of the same set. Values
// are random bytes (incompressible), or JSON-like text with --text. etcd
// history is compacted at the last revision minus `keep`, then the compactor
// runs once on request. Prints one JSON object.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { randomBytes, randomInt } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import { builtAppMain, createTestDatabase, etcdctl, isReadyLine, startNatsServer, startNode, startProcess, subjectPrefix } from '@eckd/testing';

const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') && /^\d+$/.test(argv[i + 1] ?? '') ? [[a.slice(2), Number(argv[i + 1])]] : [])));
const text = argv.includes('--text');
const keys = args.keys ?? 100_000;
const history = args.history ?? 20_000;
const keep = args.keep ?? 10_000;
const clients = args.clients ?? 64;
const tables = ['eckd_changes', 'eckd_log', 'eckd_snapshots', 'eckd_meta'];

const nats = await startNatsServer();
const db = await createTestDatabase();
const prefix = subjectPrefix();
const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: prefix, nodeName: 'bench', readyTimeoutMs: 600_000 });
const sql = new pg.Client({ connectionString: db.url });
await sql.connect();
const result = { keys, valueBytes: 256, values: text ? 'text' : 'random', clients, historyPuts: history, keptRevisions: keep };
try {
  await load(keys, (i) => i);
  await load(history, () => randomInt(keys));
  const last = await revision();
  result.revision = last;
  result.backendPeakRssUnderLoad = rssOf(node.processes.backend.pid);
  // the backend's document history cuts (ARCHITECTURE §5b) during the load
  result.historyCuts = node.processes.backend.lines
    .filter((l) => l.includes('"msg":"document history cut"'))
    .map((l) => (({ revision, swappedAt, opsBefore, keys, buildMs, swapMs }) => ({ revision, swappedAt, opsBefore, keys, buildMs, swapMs }))(JSON.parse(l)));
  result.compactRevision = last - keep;
  const compacted = await etcdctl(node.endpoints[0], ['compaction', String(last - keep)]);
  if (compacted.code !== 0) throw new Error(compacted.stderr);
  result.rowsBefore = await rows();
  result.bytesBefore = await sizes();
  result.recoveryWithoutSnapshot = await timeRecovery();

  const compactor = await startProcess({
    name: 'bench/compactor',
    command: process.execPath,
    args: [builtAppMain('compactor')],
    env: { NATS_URL: nats.url, ECKD_SUBJECT_PREFIX: prefix, ECKD_NODE_NAME: 'bench', DATABASE_URL: db.url, ECKD_COMPACT_INTERVAL_MS: '3600000' },
    readyLine: isReadyLine,
  });
  const nc = await connect({ servers: nats.url });
  const started = Date.now();
  const reply = codecs.compactorRunReply.decode(
    (await nc.request(nodeSubjects({ prefix, node: 'bench' }).compactorRun, codecs.compactorRunRequest.encode({}), { timeout: 600_000 })).data,
  );
  result.compaction = { ...reply, wallMs: Date.now() - started, compactorPeakRss: rssOf(compactor.pid) };
  await nc.close();
  await compactor.stop();
  result.rowsAfter = await rows();
  result.bytesAfterCompaction = await sizes();
  await sql.query(`vacuum ${tables.join(', ')}`);
  result.bytesAfterVacuum = await sizes();
  await sql.query(`vacuum full ${tables.join(', ')}`);
  result.bytesAfterVacuumFull = await sizes();
  result.recoveryWithSnapshot = await timeRecovery();
  if ((await revision()) !== last) throw new Error('the recovered revision differs');
  // resident memory once recovered and idle (after the load and recovery peaks), per live key
  await new Promise((r) => setTimeout(r, 5_000));
  const backendRss = rssNow(node.processes.backend.pid);
  const frontendRss = rssNow(node.processes.frontends[0].pid);
  result.residentAfterRecovery = { backendRss, frontendRss, backendBytesPerKey: Math.round(backendRss / keys), frontendBytesPerKey: Math.round(frontendRss / keys) };
} finally {
  console.log(JSON.stringify(result, null, 2));
  await sql.end();
  await node.stop();
  await nats.stop();
  await db.drop();
}

/** `total` puts of 256 B values, `clients` in flight; key number `keyOf(i)` for the i-th put. */
async function load(total, keyOf) {
  const client = new Etcd3({ hosts: `http://${node.endpoints[0]}` });
  let next = 0;
  const value = () =>
    text ? Buffer.from(JSON.stringify({ kind: 'ConfigMap', n: randomInt(1e9), data: 'x'.repeat(200) }).padEnd(256, ' ').slice(0, 256)) : randomBytes(256);
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < total; i = next++) await client.put(`key/${String(keyOf(i)).padStart(8, '0')}`).value(value()).exec();
      }),
    );
  } finally {
    client.close();
  }
}

async function revision() {
  const r = await etcdctl(node.endpoints[0], ['get', 'none', '-w', 'json']);
  return Number(JSON.parse(r.stdout).header.revision);
}

async function rows() {
  const out = {};
  for (const t of tables.slice(0, 3)) out[t] = Number((await sql.query(`select count(*) as n from ${t}`)).rows[0].n);
  return out;
}

async function sizes() {
  const out = {};
  let total = 0;
  for (const t of tables) {
    const n = Number((await sql.query('select pg_total_relation_size($1::regclass) as n', [t])).rows[0].n);
    out[t] = n;
    total += n;
  }
  return { ...out, total };
}

/** Backend restart until ready (it loads everything from the persister), and its own "recovered" line. */
async function timeRecovery() {
  const backend = node.processes.backend;
  const since = backend.lineCount;
  const started = Date.now();
  await backend.restart();
  const wallMs = Date.now() - started;
  const line = await backend.waitForLine((l) => l.includes('"msg":"recovered"'), 10_000, since);
  const recovered = JSON.parse(line);
  const { ms, changes, revisions, indexMs, patchesMs, documentMs } = recovered;
  return { wallMs, recoveredMs: ms, changes, revisions, indexMs, patchesMs, documentMs, backendPeakRss: rssOf(backend.pid) };
}

/** Resident memory of a running process now, in bytes. */
function rssNow(pid) {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Peak resident memory of a running process, in bytes. */
function rssOf(pid) {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}
