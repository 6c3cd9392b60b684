// Starts real etcd (Debian's etcd-server, data on the same disk) and one
// eckd node (its apps from dist, real Postgres, a private NATS) on this
// machine, runs the same workloads against each, round after round, and
// prints per round and as medians the eckd/etcd ratios against their
// targets, with the CPU each server process spent per request (etcd's one
// process; eckd's etcd-api, backend, persister and NATS). After the rounds,
// the footprint: both servers loaded with the same keys, their resident
// memory when idle, then the time each takes from a restart to its first
// linearizable read.
import { createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix, waitUntil } from '@eckd/testing';
import type { EckdNode, EtcdServer } from '@eckd/testing';
import type { BenchOptions } from './options.js';
import { parseBenchArgs } from './options.js';
import { cpuProfileNodeOptions } from './cpu-profile.js';
import { firstLinearizableRead, formatHeap, heapFigures, megabytes, postgresBackendBytes, residentBytes } from './footprint.js';
import { measureUsage } from './process-usage.js';
import type { ProcessUsage } from './process-usage.js';
import type { RunStats } from './stats.js';
import { median } from './stats.js';
import { runWorkload } from './run.js';

/** What a row's figure must reach: the performance targets, docs/BENCHMARKS.md "The targets table". */
export type Target = { kind: 'ratio-at-least'; value: number } | { kind: 'ratio-at-most'; value: number } | { kind: 'below'; value: number; unit: string };

export interface Case {
  name: string;
  args: string[];
  /** which figure the ratio is of */
  metric: 'throughput' | 'p99';
  target?: Target;
  /** a second row from the same run: its p99 latency ratio, with this target */
  p99Target?: Target;
}

/** The workloads of a side-by-side run, each with 1/`divisor` of its requests (`--quick`: 1/20). */
export function sideBySideCases(divisor: number): Case[] {
  const n = (full: number) => String(divisor > 1 ? Math.max(200, Math.floor(full / divisor)) : full);
  const atLeast = (value: number): Target => ({ kind: 'ratio-at-least', value });
  return [
    {
      name: 'put 256 B, 64 clients',
      args: ['--conns', '16', '--clients', '64', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', n(20_000)],
      metric: 'throughput',
      target: atLeast(1),
      p99Target: { kind: 'ratio-at-most', value: 1 },
    },
    // Few clients: latency-bound, so it shows what waits between appends (ARCHITECTURE §2, pipelined appends).
    { name: 'put 256 B, 4 clients', args: ['--conns', '1', '--clients', '4', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', n(4_000)], metric: 'throughput' },
    { name: 'range one key, serializable', args: ['--conns', '16', '--clients', '64', 'range', 'bench-range-key', '--consistency', 's', '--total', n(40_000)], metric: 'throughput', target: atLeast(2) },
    { name: 'range one key, linearizable', args: ['--conns', '16', '--clients', '64', 'range', 'bench-range-key', '--total', n(40_000)], metric: 'throughput', target: atLeast(1.2) },
    { name: 'txn-cas, 1000 keys', args: ['--conns', '16', '--clients', '64', 'txn-cas', '--key-space-size', '1000', '--val-size', '256', '--total', n(10_000)], metric: 'throughput', target: atLeast(1) },
    // As etcd's `benchmark watch-latency`: puts at a fixed 100/s while the watchers listen, so delivery is measured unsaturated.
    {
      name: 'watch, 1000 watchers, 100 puts/s',
      args: ['--conns', '8', 'watch', '--watchers', '1000', '--writers', '8', '--put-rate', '100', '--total', n(1_000)],
      metric: 'p99',
      target: { kind: 'below', value: 10, unit: 'ms' },
    },
    { name: 'lease keep-alive', args: ['--conns', '8', '--clients', '32', 'lease-keepalive', '--leases', '100', '--total', n(20_000)], metric: 'throughput', target: atLeast(1) },
    // v3lock: 100 names (little contention), then one name for every client (each Lock waits for a handoff).
    { name: 'lock/unlock, 100 names, 16 clients', args: ['--conns', '8', '--clients', '16', 'lock', '--key-space-size', '100', '--total', n(4_000)], metric: 'throughput' },
    { name: 'lock/unlock, one name, 8 clients', args: ['--conns', '8', '--clients', '8', 'lock', '--key-space-size', '1', '--total', n(1_000)], metric: 'throughput' },
  ];
}

/** The footprint's cases, named so `--only` can pick them. */
export const footprintCaseNames = { memory: 'memory of the whole node', recovery: 'recovery' } as const;
const footprintKeys = 100_000;
const footprintValueBytes = 256;
const footprintIdleMs = 10_000;
const recoveryReadTimeoutMs = 120_000;

export interface SideBySideOptions {
  /** each case runs 1/divisor of its requests (`--quick`: 20, `--divide N`) */
  divisor: number;
  /** interleaved rounds: every case once per round, etcd then eckd (`--rounds N`, default 1) */
  rounds: number;
  /** run just the cases whose name contains one of these */
  only?: string[] | undefined;
  /** a directory for a V8 CPU profile of the etcd-api process (`node --cpu-prof`), written when it stops (`--profile-frontend DIR`) */
  profileFrontendDir?: string | undefined;
}

interface Row {
  name: string;
  /** eckd/etcd (or eckd's own figure for a `below` target), one per round */
  values: number[];
  details: string[];
  target?: Target | undefined;
}

export async function runSideBySide(opts: SideBySideOptions): Promise<void> {
  const etcd = await startEtcd();
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const roleEnv = opts.profileFrontendDir === undefined ? {} : { frontend: { NODE_OPTIONS: cpuProfileNodeOptions(opts.profileFrontendDir, 'etcd-api') } };
  // A generous ready timeout: the footprint restarts a node holding 100,000 keys, on a machine the generator shares.
  const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'bench', roleEnv, readyTimeoutMs: recoveryReadTimeoutMs });
  const selected = (name: string) => opts.only === undefined || opts.only.some((part) => name.includes(part));
  const rows = new Map<string, Row>();
  const row = (name: string, target: Target | undefined) => rows.get(name) ?? rows.set(name, { name, values: [], details: [], target }).get(name)!;
  const costRows: string[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      for (const c of sideBySideCases(opts.divisor).filter((c) => selected(c.name))) {
        const results: Record<'etcd' | 'eckd', RunStats[]> = { etcd: [], eckd: [] };
        const cost: Record<'etcd' | 'eckd', Record<string, ProcessUsage>> = { etcd: {}, eckd: {} };
        for (const [server, endpoint] of [
          ['etcd', etcd.endpoint.replace('http://', '')],
          ['eckd', node.endpoints[0]!],
        ] as const) {
          const o: BenchOptions = parseBenchArgs(['--endpoints', endpoint, ...c.args]);
          const { result, usage } = await measureUsage(serverPids(etcd, node, nats.process.pid)[server], () => runWorkload(o));
          results[server] = result;
          const perRequest = usagePerRequest(usage, result[0]!.requests);
          cost[server] = perRequest;
          for (const r of result) console.log(JSON.stringify({ round, case: c.name, server, ...r, perRequest }));
        }
        const pick = (r: RunStats[]) => r[r.length - 1]!;
        const e = pick(results.etcd);
        const k = pick(results.eckd);
        costRows.push(`| ${round} | ${c.name} | ${formatCost(cost.eckd)} | ${formatCost(cost.etcd)} |`);
        const figures = `${fmt(k.throughput)} vs ${fmt(e.throughput)} /s, p99 ${k.latencyMs.p99.toFixed(1)} vs ${e.latencyMs.p99.toFixed(1)} ms`;
        const main = row(c.name, c.target);
        main.values.push(c.target?.kind === 'below' ? k.latencyMs.p99 : c.metric === 'throughput' ? k.throughput / e.throughput : k.latencyMs.p99 / Math.max(e.latencyMs.p99, 0.001));
        main.details.push(figures);
        if (c.p99Target !== undefined) {
          const p99 = row(`${c.name}: p99 latency`, c.p99Target);
          p99.values.push(k.latencyMs.p99 / Math.max(e.latencyMs.p99, 0.001));
          p99.details.push(`${k.latencyMs.p99.toFixed(1)} vs ${e.latencyMs.p99.toFixed(1)} ms`);
        }
      }
    }
    if (selected(footprintCaseNames.memory) || selected(footprintCaseNames.recovery)) {
      await loadFootprintKeys(etcd, node);
      if (selected(footprintCaseNames.memory)) {
        const m = await measureMemory(etcd, node, nats.process.pid, db.name);
        const r = row(`${footprintCaseNames.memory}, ${footprintKeys} keys × ${footprintValueBytes} B, idle`, { kind: 'ratio-at-most', value: 2 });
        r.values.push(m.eckd / m.etcd);
        r.details.push(m.details);
        console.log(JSON.stringify({ case: footprintCaseNames.memory, eckdBytes: m.eckd, etcdBytes: m.etcd, details: m.details }));
      }
      if (selected(footprintCaseNames.recovery)) {
        const rec = await measureRecovery(etcd, node);
        const r = row(`${footprintCaseNames.recovery} of a ${footprintKeys}-key node (restart to first linearizable read)`, { kind: 'below', value: 3, unit: 's' });
        r.values.push(rec.eckdMs / 1000);
        console.log(JSON.stringify({ case: footprintCaseNames.recovery, ...rec }));
        r.details.push(`eckd ${(rec.eckdMs / 1000).toFixed(1)} s, etcd ${(rec.etcdMs / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await node.stop();
    await Promise.allSettled([etcd.stop(), nats.stop(), db.drop()]);
  }
  console.log(
    [
      '',
      `${opts.rounds} round(s); per round eckd vs etcd; the median of the per-round figures against the target.`,
      '',
      '| workload | per round | median | target | met |',
      '|---|---|---|---|---|',
      ...[...rows.values()].map(formatRow),
      '',
      'Per request (of the first figure: the requests sent): CPU µs, and socket writes / reads (write and read system calls).',
      '',
      '| round | workload | eckd | etcd |',
      '|---|---|---|---|',
      ...costRows,
    ].join('\n'),
  );
}

function serverPids(etcd: EtcdServer, node: EckdNode, natsPid: number): Record<'etcd' | 'eckd', Record<string, number>> {
  return {
    etcd: { etcd: etcd.process.pid },
    eckd: { 'etcd-api': node.processes.frontends[0]!.pid, backend: node.processes.backend.pid, persister: node.processes.persister.pid, nats: natsPid },
  };
}

/** The same keys and values into both: `footprintKeys` distinct keys (the put cases' names), written once each. */
async function loadFootprintKeys(etcd: EtcdServer, node: EckdNode): Promise<void> {
  for (const endpoint of [etcd.endpoint.replace('http://', ''), node.endpoints[0]!]) {
    const args = ['--endpoints', endpoint, '--conns', '16', '--clients', '64', 'put', '--sequential-keys'];
    const [stats] = await runWorkload(parseBenchArgs([...args, '--key-space-size', String(footprintKeys), '--val-size', String(footprintValueBytes), '--total', String(footprintKeys)]));
    console.log(JSON.stringify({ case: 'footprint load', endpoint, ...stats }));
  }
}

/**
 * Resident memory after `footprintIdleMs` without requests: etcd's one
 * process against every process of the eckd node (etcd-api, backend,
 * persister, its NATS server, and the Postgres server processes serving its
 * database, counted by PSS).
 */
async function measureMemory(etcd: EtcdServer, node: EckdNode, natsPid: number, database: string): Promise<{ eckd: number; etcd: number; details: string }> {
  await new Promise((r) => setTimeout(r, footprintIdleMs));
  const rss = (pid: number) => residentBytes(pid) ?? 0;
  const parts: [string, number][] = [
    ['etcd-api', rss(node.processes.frontends[0]!.pid)],
    ['backend', rss(node.processes.backend.pid)],
    ['persister', rss(node.processes.persister.pid)],
    ['NATS', rss(natsPid)],
    ['Postgres (PSS)', postgresBackendBytes(database)],
  ];
  const eckd = parts.reduce((a, [, b]) => a + b, 0);
  const etcdBytes = rss(etcd.process.pid);
  const heaps = [
    `etcd-api: ${formatHeap(await heapFigures(node.opsUrls.frontends[0]!))}`,
    `backend: ${formatHeap(await heapFigures(node.opsUrls.backend))}`,
    `persister: ${formatHeap(await heapFigures(node.opsUrls.persister))}`,
  ];
  const details = `eckd ${megabytes(eckd)} (${parts.map(([name, b]) => `${name} ${megabytes(b)}`).join(', ')}; ${heaps.join('; ')}), etcd ${megabytes(etcdBytes)}`;
  return { eckd, etcd: etcdBytes, details };
}

/** Each server stopped (SIGTERM), then started on its own data: wall time until a linearizable Range answers. */
async function measureRecovery(etcd: EtcdServer, node: EckdNode): Promise<{ eckdMs: number; etcdMs: number }> {
  const key = '0'.repeat(8);
  const etcdEndpoint = etcd.endpoint.replace('http://', '');
  await etcd.process.stop();
  const etcdStart = Date.now();
  await etcd.process.restart();
  await waitUntil(async () => (await fetch(`${etcd.endpoint}/health`, { signal: AbortSignal.timeout(1000) })).ok, recoveryReadTimeoutMs, 'etcd /health after its restart');
  const etcdMs = (await firstLinearizableRead(etcdEndpoint, key, recoveryReadTimeoutMs)) - etcdStart;
  const { persister, backend, frontends } = node.processes;
  await Promise.all([persister, backend, ...frontends].map((p) => p.stop()));
  const eckdStart = Date.now();
  for (const p of [persister, backend, ...frontends]) await p.restart();
  const eckdMs = (await firstLinearizableRead(node.endpoints[0]!, key, recoveryReadTimeoutMs)) - eckdStart;
  return { eckdMs, etcdMs };
}

function formatRow(r: Row): string {
  const m = median(r.values);
  const perRound = r.values.map((v, i) => `${formatValue(v, r.target)} (${r.details[i]})`).join('; ');
  if (r.target === undefined) return `| ${r.name} | ${perRound} | ${formatValue(m, r.target)} | – | – |`;
  const met = r.target.kind === 'ratio-at-least' ? m >= r.target.value : m <= r.target.value;
  const target = r.target.kind === 'ratio-at-least' ? `≥ ${r.target.value}×` : r.target.kind === 'ratio-at-most' ? `≤ ${r.target.value}×` : `< ${r.target.value} ${r.target.unit}`;
  return `| ${r.name} | ${perRound} | **${formatValue(m, r.target)}** | ${target} | ${met ? 'met' : 'not met'} |`;
}

function formatValue(v: number, target: Target | undefined): string {
  return target?.kind === 'below' ? `${v.toFixed(1)} ${target.unit}` : `${v.toFixed(2)}×`;
}

/** What each process used per request (of the workload's first figure: the requests it sent). */
function usagePerRequest(usage: Record<string, ProcessUsage>, requests: number): Record<string, ProcessUsage> {
  const per = (n: number) => n / Math.max(requests, 1);
  return Object.fromEntries(
    Object.entries(usage).map(([name, u]) => [name, { cpuMicros: Math.round(per(u.cpuMicros)), readCalls: per(u.readCalls), writeCalls: per(u.writeCalls) }]),
  );
}

function formatCost(perRequest: Record<string, ProcessUsage>): string {
  const parts = Object.entries(perRequest).map(([name, u]) => `${name} ${u.cpuMicros} µs ${u.writeCalls.toFixed(2)}/${u.readCalls.toFixed(2)}`);
  const total = Object.values(perRequest).reduce((a, u) => a + u.cpuMicros, 0);
  return parts.length > 1 ? `${parts.join(', ')}; CPU total ${total} µs` : parts.join('');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
