// `eckd-bench scale-out`: serializable reads as a node gets more frontends.
// For each count, one node (this tree's apps, a private NATS, a fresh
// database) with that many etcd-api processes; the generator spreads its
// connections over all of them. Prints throughput, p99 and the frontends'
// CPU per read, one row per count.
import { createTestDatabase, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import { parseBenchArgs } from './options.js';
import { measureUsage } from './process-usage.js';
import { runWorkload } from './run.js';

export interface ScaleOutOptions {
  /** frontend counts to run, in order (`--frontends 1,2,4`) */
  frontends: number[];
  /** reads per count (`--total`) */
  total: number;
}

export async function runScaleOut(o: ScaleOutOptions): Promise<void> {
  const nats = await startNatsServer();
  const rows: string[] = [];
  try {
    for (const count of o.frontends) {
      const db = await createTestDatabase();
      const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'scale', frontends: count });
      try {
        const pids = Object.fromEntries(node.processes.frontends.map((p, i) => [`etcd-api-${i}`, p.pid]));
        const args = ['--endpoints', node.endpoints.join(','), '--conns', String(16 * count), '--clients', String(64 * count), 'range', 'bench-range-key', '--consistency', 's'];
        const { result, usage } = await measureUsage(pids, () => runWorkload(parseBenchArgs([...args, '--total', String(o.total)])));
        const stats = result[0]!;
        const cpu = Object.values(usage).reduce((a, u) => a + u.cpuMicros, 0) / stats.requests;
        console.log(JSON.stringify({ frontends: count, ...stats, frontendCpuMicrosPerRead: cpu }));
        rows.push(`| ${count} | ${Math.round(stats.throughput).toLocaleString('en-US')} /s | ${stats.latencyMs.p99.toFixed(1)} ms | ${Math.round(cpu)} µs | ${stats.errors} |`);
      } finally {
        await node.stop();
        await db.drop();
      }
    }
  } finally {
    await nats.stop();
  }
  console.log(['', '| frontends | serializable range | p99 | frontends\' CPU per read | errors |', '|---|---|---|---|---|', ...rows].join('\n'));
}
