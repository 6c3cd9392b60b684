// `eckd-bench cluster`: starts a cluster of eckd members here (libs/testing's
// startCluster, docs/ARCHITECTURE.md §8) and measures what replication costs:
// lag from the origin's ack of a write to each peer's watch event (paced
// writes spread over the members, one prefix watcher per member), the time
// until every member reads the same after the writes stop, and closed-loop
// put throughput on member 0 against a node with no peers. It also reports
// the CPU each kind of process used from the first write to convergence, per write.
// `--warmup` writes at the same rate for a while first, unmeasured, so that
// the figures are of warm processes (JIT, caches) rather than of a cluster
// that has just started.
import { createHash, randomBytes } from 'node:crypto';
import { createTestDatabase, startCluster, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { ProcessHandle } from '@eckd/testing';
import type { Connection } from './clients.js';
import { cpuProfileNodeOptions } from './cpu-profile.js';
import { connect, encodeMessage, encodeRequest, paths } from './clients.js';
import type { ClusterBenchOptions } from './options.js';
import { parseBenchArgs } from './options.js';
import { runPaced } from './paced.js';
import { measureUsage } from './process-usage.js';
import { forEachKeyValue, readWatchResponse } from './proto-reader.js';
import { runWorkload } from './run.js';
import type { RunStats, TimedSample } from './stats.js';
import { summarize, summarizeWindows } from './stats.js';
import { prefixEnd } from './workloads.js';

/** How long to wait for late watch events and for convergence before calling them missing. */
const settleTimeoutMs = 30_000;
const valueSize = 64;

export async function runClusterBench(o: ClusterBenchOptions): Promise<void> {
  const names = Array.from({ length: o.members }, (_, i) => `node${i + 1}`); // startCluster's member names
  const profileEnv = (i: number): Record<string, string> => (o.profileDir !== undefined && i === 0 ? { NODE_OPTIONS: cpuProfileNodeOptions(o.profileDir, 'member0') } : {});
  const cluster = await startCluster({ nodes: o.members, jetstream: false, env: { ECKD_INITIAL_CLUSTER: names.join(',') }, nodeEnv: profileEnv });
  const rows: string[] = [];
  let clusterPut: RunStats | undefined;
  let writes = '';
  let cpu = '';
  try {
    const conns = cluster.members.map((m) => connect([m.endpoints[0]!], 1)[0]!);
    try {
      if (o.warmupMs > 0) await warmUp(o, conns);
      const generatorBefore = process.cpuUsage();
      const { result, usage } = await measureUsage(pidsByName(cluster.processes()), () => measureLag(o, conns));
      const generator = process.cpuUsage(generatorBefore);
      const { puts, lag, windows, convergenceMs } = result;
      writes = `writes: ${puts.requests} in ${puts.seconds.toFixed(1)} s (${Math.round(puts.throughput)} /s achieved), ack p50 ${puts.latencyMs.p50.toFixed(1)} ms, p99 ${puts.latencyMs.p99.toFixed(1)} ms`;
      cpu = cpuPerWrite(usage, generator.user + generator.system, puts.requests);
      for (const w of [...windows, lag]) rows.push(`| ${w.workload} | ${w.requests} | ${w.latencyMs.p50.toFixed(1)} | ${w.latencyMs.p99.toFixed(1)} | ${w.latencyMs.max.toFixed(1)} |`);
      rows.push('', `convergence after the writes stop: ${convergenceMs === undefined ? `not within ${settleTimeoutMs / 1000} s` : `${convergenceMs.toFixed(0)} ms`}`);
    } finally {
      for (const c of conns) c.close();
    }
    if (o.throughputTotal > 0) clusterPut = await throughput(cluster.member(0).endpoints[0]!, o);
  } finally {
    await cluster.stop();
  }
  const lines = [`| replication lag, ${o.rate} writes/s over ${o.members} members | events | p50 ms | p99 ms | max ms |`, '|---|---|---|---|---|', ...rows, '', writes, '', cpu];
  if (clusterPut !== undefined) lines.push('', await comparedAlone(clusterPut, o));
  console.log(lines.join('\n'));
}

/** Closed-loop puts on a node started alone, against `clusterPut` of member 0. */
async function comparedAlone(clusterPut: RunStats, o: ClusterBenchOptions): Promise<string> {
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  let alonePut: RunStats;
  try {
    const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'alone' });
    try {
      alonePut = await throughput(node.endpoints[0]!, o);
    } finally {
      await node.stop();
    }
  } finally {
    await Promise.allSettled([nats.stop(), db.drop()]);
  }
  const put = (s: RunStats) => `${Math.round(s.throughput)} /s, p99 ${s.latencyMs.p99.toFixed(1)} ms, ${s.errors} errors`;
  return `put 256 B, 64 clients, ${o.throughputTotal} puts: member 0 of ${o.members}: ${put(clusterPut)}; one node alone: ${put(alonePut)}; ratio ${(clusterPut.throughput / alonePut.throughput).toFixed(2)}`;
}

function pidsByName(procs: readonly ProcessHandle[]): Record<string, number> {
  return Object.fromEntries(procs.map((p) => [p.name, p.pid]));
}

/** CPU seconds by kind of process (`node1/backend` → backend) and per write, plus the generator (this process). */
function cpuPerWrite(usage: Record<string, { cpuMicros: number }>, generatorMicros: number, writes: number): string {
  const byKind = new Map<string, number>();
  for (const [name, u] of Object.entries(usage)) {
    const kind = name.includes('/') ? name.slice(name.indexOf('/') + 1).replace(/-\d+$/, '') : 'nats-server';
    byKind.set(kind, (byKind.get(kind) ?? 0) + u.cpuMicros);
  }
  byKind.set('generator', generatorMicros);
  const parts = [...byKind].map(([kind, micros]) => `${kind} ${(micros / 1e6).toFixed(1)} s (${(micros / 1000 / writes).toFixed(2)} ms/write)`);
  return `CPU from the first write to convergence, all members: ${parts.join(', ')}`;
}

/** The same closed-loop put as side-by-side's. */
async function throughput(endpoint: string, o: ClusterBenchOptions): Promise<RunStats> {
  const args = ['--endpoints', endpoint, '--conns', '16', '--clients', '64', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', String(o.throughputTotal)];
  const [stats] = await runWorkload(parseBenchArgs(args));
  return stats!;
}

/** Paced puts on a prefix of their own, nobody watching, for `--warmup`. */
async function warmUp(o: ClusterBenchOptions, conns: Connection[]): Promise<void> {
  const prefix = `bench-cluster-warmup/${randomBytes(3).toString('hex')}/`;
  const value = randomBytes(valueSize);
  await runPaced({ ...parseBenchArgs(['put']), clients: 256, durationMs: o.warmupMs }, o.rate, conns, 'cluster-warmup', (c, n, done) =>
    c.unary(paths.put, encodeRequest('PutRequest', { key: Buffer.from(`${prefix}${n}`), value }), (err) => done(err)),
  );
}

async function measureLag(o: ClusterBenchOptions, conns: Connection[]): Promise<{ puts: RunStats; lag: RunStats; windows: RunStats[]; convergenceMs: number | undefined }> {
  const prefix = `bench-cluster/${randomBytes(3).toString('hex')}/`;
  const started = performance.now();
  // Revisions are each member's own, so a write is known by its key: `<prefix><n>`, written on member n % members.
  const ackedAt = new Map<string, number>();
  const early = new Map<string, number[]>(); // peer arrivals of writes whose ack is still on its way
  const samples: TimedSample[] = [];
  const record = (ack: number, arrival: number) => samples.push({ atMs: ack - started, ms: Math.max(0, arrival - ack) });
  const created: Promise<void>[] = [];
  const streams = conns.map((c, member) => {
    let resolveCreated = () => undefined as void;
    created.push(new Promise<void>((resolve) => (resolveCreated = resolve)));
    const stream = c.bidi(
      paths.watch,
      (message) => {
        const now = performance.now();
        const res = readWatchResponse(message);
        if (res.created) return resolveCreated();
        for (const raw of res.keys) {
          const key = Buffer.from(raw).toString();
          if (Number(key.slice(prefix.length)) % conns.length === member) continue; // its own write
          const acked = ackedAt.get(key);
          if (acked === undefined) (early.get(key) ?? early.set(key, []).get(key)!).push(now);
          else record(acked, now);
        }
      },
      () => undefined, // a stream that ends early shows as missing events
    );
    stream.write(encodeMessage('WatchRequest', { create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix) } }));
    return stream;
  });
  await Promise.all(created);
  const value = randomBytes(valueSize);
  const writeOpts = { ...parseBenchArgs(['put']), clients: 256, durationMs: o.durationMs };
  const puts = await runPaced(writeOpts, o.rate, conns, 'cluster-put', (c, n, done) => {
    const key = `${prefix}${n}`;
    c.unary(paths.put, encodeRequest('PutRequest', { key: Buffer.from(key), value }), (err) => {
      if (!err) {
        const now = performance.now();
        ackedAt.set(key, now);
        for (const arrival of early.get(key) ?? []) record(now, arrival);
        early.delete(key);
      }
      done(err);
    });
  });
  const stoppedAt = performance.now();
  const convergenceMs = await untilConverged(conns, prefix, stoppedAt);
  const expected = puts.requests * (conns.length - 1);
  const deadline = performance.now() + settleTimeoutMs;
  while (samples.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of streams) s.close();
  const label = `overall (${puts.requests} writes, ${puts.errors} failed, ${expected - samples.length} peer events missing)`;
  return { puts, lag: summarize(label, samples.map((s) => s.ms), expected - samples.length, puts.seconds), windows: summarizeWindows('window', samples, o.windowMs), convergenceMs };
}

/** Milliseconds from `since` until every member's serializable read of the prefix (keys and values) is the same. */
async function untilConverged(conns: Connection[], prefix: string, since: number): Promise<number | undefined> {
  const request = encodeRequest('RangeRequest', { key: Buffer.from(prefix), range_end: prefixEnd(prefix), serializable: true });
  const digest = (c: Connection) =>
    new Promise<string>((resolve, reject) =>
      c.unary(paths.range, request, (err, res) => {
        if (err) return reject(err);
        const hash = createHash('sha256');
        // Keys and values only: revisions are each member's own.
        forEachKeyValue(res!, (key, value) => hash.update(key).update('\0').update(value).update('\0'));
        resolve(hash.digest('hex'));
      }),
    );
  while (performance.now() < since + settleTimeoutMs) {
    const digests = await Promise.all(conns.map(digest));
    if (digests.every((d) => d === digests[0])) return performance.now() - since;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}
