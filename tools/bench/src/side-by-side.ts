// Starts real etcd (Debian's etcd-server, data on the same disk) and one
// eckd node (its apps from dist, real Postgres, a private NATS) on this
// machine, runs the same workloads against each in one run, and prints the
// eckd/etcd ratios as a table and as JSON lines, with the CPU each server
// process spent per request (etcd's one process; eckd's etcd-api, backend,
// persister and NATS).
import { createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { BenchOptions } from './options.js';
import { parseBenchArgs } from './options.js';
import { cpuProfileNodeOptions } from './cpu-profile.js';
import { measureUsage } from './process-usage.js';
import type { ProcessUsage } from './process-usage.js';
import type { RunStats } from './stats.js';
import { runWorkload } from './run.js';

export interface Case {
  name: string;
  args: string[];
  /** which figure the target is on */
  metric: 'throughput' | 'p99';
}

/** The workloads of a side-by-side run, each with 1/`divisor` of its requests (`--quick`: 1/20). */
export function sideBySideCases(divisor: number): Case[] {
  const n = (full: number) => String(divisor > 1 ? Math.max(200, Math.floor(full / divisor)) : full);
  return [
    { name: 'put 256 B, 64 clients', args: ['--conns', '16', '--clients', '64', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', n(20_000)], metric: 'throughput' },
    // Few clients: latency-bound, so it shows what waits between appends (ARCHITECTURE §2, pipelined appends).
    { name: 'put 256 B, 4 clients', args: ['--conns', '1', '--clients', '4', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', n(4_000)], metric: 'throughput' },
    { name: 'range one key, serializable', args: ['--conns', '16', '--clients', '64', 'range', 'bench-range-key', '--consistency', 's', '--total', n(40_000)], metric: 'throughput' },
    { name: 'range one key, linearizable', args: ['--conns', '16', '--clients', '64', 'range', 'bench-range-key', '--total', n(40_000)], metric: 'throughput' },
    { name: 'txn-cas, 1000 keys', args: ['--conns', '16', '--clients', '64', 'txn-cas', '--key-space-size', '1000', '--val-size', '256', '--total', n(10_000)], metric: 'throughput' },
    // As etcd's `benchmark watch-latency`: puts at a fixed 100/s while the watchers listen, so delivery is measured unsaturated.
    { name: 'watch, 1000 watchers, 100 puts/s', args: ['--conns', '8', 'watch', '--watchers', '1000', '--writers', '8', '--put-rate', '100', '--total', n(1_000)], metric: 'p99' },
    { name: 'lease keep-alive', args: ['--conns', '8', '--clients', '32', 'lease-keepalive', '--leases', '100', '--total', n(20_000)], metric: 'throughput' },
    // v3lock: 100 names (little contention), then one name for every client (each Lock waits for a handoff).
    { name: 'lock/unlock, 100 names, 16 clients', args: ['--conns', '8', '--clients', '16', 'lock', '--key-space-size', '100', '--total', n(4_000)], metric: 'throughput' },
    { name: 'lock/unlock, one name, 8 clients', args: ['--conns', '8', '--clients', '8', 'lock', '--key-space-size', '1', '--total', n(1_000)], metric: 'throughput' },
  ];
}

export interface SideBySideOptions {
  /** each case runs 1/divisor of its requests (`--quick`: 20, `--divide N`) */
  divisor: number;
  /** run just the cases whose name contains one of these */
  only?: string[] | undefined;
  /** a directory for a V8 CPU profile of the etcd-api process (`node --cpu-prof`), written when it stops (`--profile-frontend DIR`) */
  profileFrontendDir?: string | undefined;
}

export async function runSideBySide(opts: SideBySideOptions): Promise<void> {
  const etcd = await startEtcd();
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const roleEnv = opts.profileFrontendDir === undefined ? {} : { frontend: { NODE_OPTIONS: cpuProfileNodeOptions(opts.profileFrontendDir, 'etcd-api') } };
  const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'bench', roleEnv });
  const pids = {
    etcd: { etcd: etcd.process.pid },
    eckd: { 'etcd-api': node.processes.frontends[0]!.pid, backend: node.processes.backend.pid, persister: node.processes.persister.pid, nats: nats.process.pid },
  };
  const rows: string[] = [];
  const costRows: string[] = [];
  try {
    for (const c of sideBySideCases(opts.divisor).filter((c) => opts.only === undefined || opts.only.some((part) => c.name.includes(part)))) {
      const results: Record<'etcd' | 'eckd', RunStats[]> = { etcd: [], eckd: [] };
      const cost: Record<'etcd' | 'eckd', Record<string, ProcessUsage>> = { etcd: {}, eckd: {} };
      for (const [server, endpoint] of [
        ['etcd', etcd.endpoint.replace('http://', '')],
        ['eckd', node.endpoints[0]!],
      ] as const) {
        const o: BenchOptions = parseBenchArgs(['--endpoints', endpoint, ...c.args]);
        const { result, usage } = await measureUsage(pids[server], () => runWorkload(o));
        results[server] = result;
        const perRequest = usagePerRequest(usage, result[0]!.requests);
        cost[server] = perRequest;
        for (const r of result) console.log(JSON.stringify({ case: c.name, server, ...r, perRequest }));
      }
      const pick = (r: RunStats[]) => r[r.length - 1]!;
      const e = pick(results.etcd);
      const k = pick(results.eckd);
      costRows.push(`| ${c.name} | ${formatCost(cost.eckd)} | ${formatCost(cost.etcd)} |`);
      const ratio = c.metric === 'throughput' ? k.throughput / e.throughput : k.latencyMs.p99 / Math.max(e.latencyMs.p99, 0.001);
      rows.push(
        `| ${c.name} | ${fmt(k.throughput)} /s, p99 ${k.latencyMs.p99.toFixed(1)} ms | ${fmt(e.throughput)} /s, p99 ${e.latencyMs.p99.toFixed(1)} ms | ${c.metric} ${ratio.toFixed(2)}× |`,
      );
    }
  } finally {
    await node.stop();
    await Promise.allSettled([etcd.stop(), nats.stop(), db.drop()]);
  }
  console.log(
    [
      '',
      '| workload | eckd | etcd | eckd/etcd |',
      '|---|---|---|---|',
      ...rows,
      '',
      'Per request (of the first figure: the requests sent): CPU µs, and socket writes / reads (write and read system calls).',
      '',
      '| workload | eckd | etcd |',
      '|---|---|---|',
      ...costRows,
    ].join('\n'),
  );
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
