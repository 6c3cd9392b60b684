// Starts real etcd (Debian's etcd-server, data on the same disk) and one
// eckd node (its apps from dist, real Postgres, a private NATS) on this
// machine, runs the same workloads against each in one run, and prints the
// eckd/etcd ratios as a table and as JSON lines.
import { createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { BenchOptions } from './options.js';
import { parseBenchArgs } from './options.js';
import type { RunStats } from './stats.js';
import { runWorkload } from './run.js';

interface Case {
  name: string;
  args: string[];
  /** which figure the target is on */
  metric: 'throughput' | 'p99';
}

function cases(quick: boolean): Case[] {
  const n = (full: number) => String(quick ? Math.max(200, Math.floor(full / 20)) : full);
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

/** `only`: run just the cases whose name contains it. */
export async function runSideBySide(opts: { quick: boolean; only?: string | undefined }): Promise<void> {
  const etcd = await startEtcd();
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'bench' });
  const rows: string[] = [];
  try {
    for (const c of cases(opts.quick).filter((c) => opts.only === undefined || c.name.includes(opts.only))) {
      const results: Record<'etcd' | 'eckd', RunStats[]> = { etcd: [], eckd: [] };
      for (const [server, endpoint] of [
        ['etcd', etcd.endpoint.replace('http://', '')],
        ['eckd', node.endpoints[0]!],
      ] as const) {
        const o: BenchOptions = parseBenchArgs(['--endpoints', endpoint, ...c.args]);
        results[server] = await runWorkload(o);
        for (const r of results[server]) console.log(JSON.stringify({ case: c.name, server, ...r }));
      }
      const pick = (r: RunStats[]) => r[r.length - 1]!;
      const e = pick(results.etcd);
      const k = pick(results.eckd);
      const ratio = c.metric === 'throughput' ? k.throughput / e.throughput : k.latencyMs.p99 / Math.max(e.latencyMs.p99, 0.001);
      rows.push(
        `| ${c.name} | ${fmt(k.throughput)} /s, p99 ${k.latencyMs.p99.toFixed(1)} ms | ${fmt(e.throughput)} /s, p99 ${e.latencyMs.p99.toFixed(1)} ms | ${c.metric} ${ratio.toFixed(2)}× |`,
      );
    }
  } finally {
    await node.stop();
    await Promise.allSettled([etcd.stop(), nats.stop(), db.drop()]);
  }
  console.log(['', '| workload | eckd | etcd | eckd/etcd |', '|---|---|---|---|', ...rows].join('\n'));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
