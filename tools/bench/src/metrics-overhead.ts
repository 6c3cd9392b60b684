// `eckd-bench metrics-overhead`: what the metrics cost on the put path. One
// eckd node is started with every app's ops listener (metrics collected,
// the gRPC interceptor installed) and without (every instrument a no-op),
// alternately, each time on a fresh database (so no run recovers or grows
// another's state); each run is the same put workload, and with metrics on
// every /metrics is scraped during the run, more often than Prometheus
// usually does.
import { createTestDatabase, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import { parseBenchArgs } from './options.js';
import type { RunStats } from './stats.js';
import { runWorkload } from './run.js';

const scrapeIntervalMs = 5_000;

export async function runMetricsOverhead(opts: { rounds: number; total: number }): Promise<void> {
  const nats = await startNatsServer();
  const results: Record<'on' | 'off', RunStats[]> = { on: [], off: [] };
  try {
    for (let round = 0; round < opts.rounds; round++) {
      // Alternating order, so drift on the shared machine falls on both sides.
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const db = await createTestDatabase();
        const node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'bench', ops: mode === 'on' }).catch(async (err: unknown) => {
          await db.drop();
          throw err;
        });
        const scrape = setInterval(() => {
          for (const url of [node.opsUrls.backend, node.opsUrls.persister, ...node.opsUrls.frontends]) if (url !== '') void fetch(`${url}/metrics`).then((r) => r.text(), () => '');
        }, scrapeIntervalMs);
        try {
          const args = ['--endpoints', node.endpoints[0]!, '--conns', '16', '--clients', '64', 'put', '--val-size', '256', '--key-space-size', '100000', '--total', String(opts.total)];
          const stats = (await runWorkload(parseBenchArgs(args))).at(-1)!;
          results[mode].push(stats);
          console.log(JSON.stringify({ round, metrics: mode, ...stats }));
        } finally {
          clearInterval(scrape);
          await node.stop();
          await db.drop();
        }
      }
    }
  } finally {
    await nats.stop();
  }
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const row = (mode: 'on' | 'off') =>
    `| ${mode} | ${Math.round(median(results[mode].map((r) => r.throughput))).toLocaleString('en-US')} /s | ${median(results[mode].map((r) => r.latencyMs.p50)).toFixed(1)} ms | ${median(results[mode].map((r) => r.latencyMs.p99)).toFixed(1)} ms |`;
  // Each round's two runs are adjacent in time, so their ratio cancels most of the machine's drift.
  const ratios = results.on.map((r, i) => r.throughput / results.off[i]!.throughput);
  console.log(
    [
      '',
      `| metrics | put throughput (median of ${opts.rounds}) | p50 | p99 |`,
      '|---|---|---|---|',
      row('off'),
      row('on'),
      '',
      `on/off throughput per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}`,
    ].join('\n'),
  );
}
