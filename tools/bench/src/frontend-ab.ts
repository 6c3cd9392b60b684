// `eckd-bench frontend-ab --baseline DIR [--current DIR]`: the frontend's
// cost before and after a change, measured in the same period. One eckd
// node (this tree's backend and persister, a private NATS, a fresh
// database) gets two etcd-api processes: the one built in --current (default:
// this tree) and the one built in --baseline (a copy of the repository, or
// of its apps/etcd-api/dist, at the baseline commit). Each round runs every case
// against both, in alternating order, and reports throughput and the CPU and
// socket writes each frontend spent per request. Both frontends apply every
// patch, so each also pays for the other's writes while idle: the figures
// compare the two, they are not a node's absolute cost.
import { join } from 'node:path';
import { createTestDatabase, freePort, isReadyLine, repoRoot, startNatsServer, startNode, startProcess, subjectPrefix } from '@eckd/testing';
import type { ProcessHandle } from '@eckd/testing';
import { parseBenchArgs } from './options.js';
import { measureUsage } from './process-usage.js';
import { runWorkload } from './run.js';
import { sideBySideCases } from './side-by-side.js';
import { median } from './stats.js';

export interface FrontendAbOptions {
  /** repository root holding the baseline's built apps/etcd-api/dist */
  baseline: string;
  /** the same for the other side; default this tree */
  current?: string | undefined;
  rounds: number;
  /** run just the cases whose name contains one of these */
  only?: string[] | undefined;
  /** each case runs 1/divisor of side-by-side's requests, so more rounds fit in the same time */
  divisor: number;
}

interface Side {
  name: 'baseline' | 'current';
  endpoint: string;
  process: ProcessHandle;
}

export async function runFrontendAb(o: FrontendAbOptions): Promise<void> {
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const nodeOpts = { natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'ab', frontends: 0 };
  const node = await startNode(nodeOpts);
  const sides: Side[] = [];
  const rows: string[] = [];
  const ratios: Record<string, { throughput: number; cpu: number }[]> = {};
  try {
    // One at a time: both subscribe before they sync, so the second start does not race the first.
    for (const [name, root] of [['baseline', o.baseline], ['current', o.current ?? repoRoot()]] as const) {
      const url = `http://127.0.0.1:${await freePort()}`;
      const proc = await startProcess({
        name: `ab/etcd-api-${name}`,
        command: process.execPath,
        args: [
          '--enable-source-maps',
          join(root, 'apps', 'etcd-api', 'dist', 'main.js'),
          ...['--name', nodeOpts.nodeName, '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-metrics-urls', `http://127.0.0.1:${await freePort()}`],
        ],
        env: { NATS_URL: nodeOpts.natsUrl, ECKD_SUBJECT_PREFIX: nodeOpts.subjectPrefix, ECKD_NODE_NAME: nodeOpts.nodeName, DATABASE_URL: nodeOpts.databaseUrl },
        cwd: root,
        readyLine: isReadyLine,
      });
      sides.push({ name, endpoint: url.replace('http://', ''), process: proc });
    }
    for (let round = 0; round < o.rounds; round++) {
      for (const c of sideBySideCases(o.divisor).filter((c) => c.metric === 'throughput' && (o.only === undefined || o.only.some((part) => c.name.includes(part))))) {
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        const figures: Record<string, { throughput: number; cpuMicros: number; writeCalls: number }> = {};
        for (const side of order) {
          const { result, usage } = await measureUsage({ frontend: side.process.pid }, () => runWorkload(parseBenchArgs(['--endpoints', side.endpoint, ...c.args])));
          const stats = result[0]!;
          const used = usage.frontend!;
          figures[side.name] = { throughput: stats.throughput, cpuMicros: used.cpuMicros / stats.requests, writeCalls: used.writeCalls / stats.requests };
          console.log(JSON.stringify({ round, case: c.name, side: side.name, ...stats, frontendPerRequest: figures[side.name] }));
        }
        const b = figures.baseline!;
        const k = figures.current!;
        (ratios[c.name] ??= []).push({ throughput: k.throughput / b.throughput, cpu: k.cpuMicros / b.cpuMicros });
        rows.push(
          `| ${round} | ${c.name} | ${Math.round(b.throughput)} /s, ${Math.round(b.cpuMicros)} µs, ${b.writeCalls.toFixed(2)} writes | ${Math.round(k.throughput)} /s, ${Math.round(k.cpuMicros)} µs, ${k.writeCalls.toFixed(2)} writes | ${(k.throughput / b.throughput).toFixed(2)} | ${(k.cpuMicros / b.cpuMicros).toFixed(2)} |`,
        );
      }
    }
  } finally {
    await Promise.allSettled(sides.map((side) => side.process.stop()));
    await node.stop();
    await Promise.allSettled([nats.stop(), db.drop()]);
  }
  console.log(
    [
      '',
      'Per request on the frontend: CPU µs and socket writes (write system calls).',
      '',
      '| round | workload | baseline | current | throughput current/baseline | CPU current/baseline |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      '| workload | median throughput current/baseline | median CPU current/baseline |',
      '|---|---|---|',
      ...Object.entries(ratios).map(([name, r]) => `| ${name} | ${median(r.map((x) => x.throughput)).toFixed(2)} | ${median(r.map((x) => x.cpu)).toFixed(2)} |`),
    ].join('\n'),
  );
}
