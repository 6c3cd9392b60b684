// `eckd-bench cluster-cut`: what a coordinated history cut (docs/ARCHITECTURE.md
// §8.10) costs a cluster holding many keys. Three members (libs/testing's
// startCluster) with ECKD_CUT_WITH_PEERS=true and the default due rule are
// loaded with `--keys` keys; paced puts (`--rate`, overwriting those keys,
// round robin over the members) then run throughout:
// - quiet: the paced puts alone for `--quiet`, the figure without a cut;
// - filling: Txns of 100 overwrites, as fast as the members take them, bring
//   the documents to the due rule (with a Compact on every member every
//   100,000 updates, as a client keeping some history does); they stop once
//   a member proposes;
// - cut: from the proposal until every member has switched;
// - after: `--after` more of the paced puts on the new lineage.
// It prints put latency per phase, the cut's steps from the members' logs
// (decided, base built, switched, with each member's build and switch time),
// and every process's peak RSS (VmHWM).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startCluster } from '@eckd/testing';
import type { Cluster, ProcessHandle } from '@eckd/testing';
import type { Connection } from './clients.js';
import { connect, decodeMessage, encodeRequest, paths } from './clients.js';
import { BenchUsageError } from './options.js';
import { summarize } from './stats.js';

export interface ClusterCutBenchOptions {
  keys: number;
  /** paced puts per second, spread round robin over the members */
  rate: number;
  quietMs: number;
  afterMs: number;
  /** the longest the filling and the cut may take before the run is given up */
  cutTimeoutMs: number;
}

const defaults: ClusterCutBenchOptions = { keys: 100_000, rate: 200, quietMs: 20_000, afterMs: 10_000, cutTimeoutMs: 600_000 };
const names = ['node1', 'node2', 'node3'];
const valueSize = 64;
const putsPerTxn = 100;
const txnsInFlight = 4;
const compactEveryTxns = 1_000;
const pacedInFlightMax = 256;
const proposingLine = 'proposing a history cut';
const switchedLine = "switched to a cut's lineage";

export function parseClusterCutArgs(argv: readonly string[]): ClusterCutBenchOptions {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    const raw = inline ?? argv[++i] ?? '';
    const n = Number(raw.replace(/s$/, ''));
    if (!(n > 0)) throw new BenchUsageError(`cluster-cut: --${name} must be a positive number`);
    switch (name) {
      case 'keys': o.keys = Math.floor(n); break;
      case 'rate': o.rate = Math.floor(n); break;
      case 'quiet': o.quietMs = n * 1000; break;
      case 'after': o.afterMs = n * 1000; break;
      case 'timeout': o.cutTimeoutMs = n * 1000; break;
      default: throw new BenchUsageError(`cluster-cut: unknown flag ${argv[i]}`);
    }
  }
  return o;
}

type Phase = 'quiet' | 'filling' | 'cut' | 'after';

export async function runClusterCutBench(o: ClusterCutBenchOptions): Promise<void> {
  const cluster = await startCluster({
    nodes: names.length,
    jetstream: false,
    env: { ECKD_INITIAL_CLUSTER: names.join(','), ECKD_CUT_WITH_PEERS: 'true', ECKD_CUT_LAGGARD_HOLD_MS: '60000' },
  });
  try {
    const conns = cluster.members.map((m) => connect([m.endpoints[0]!], 1)[0]!);
    try {
      const prefix = `bench-cut/${randomBytes(3).toString('hex')}/`;
      const keyOf = (k: number) => Buffer.from(`${prefix}${k % o.keys}`);
      const loadStarted = performance.now();
      await txns(conns, o.keys / putsPerTxn, (t) => Array.from({ length: putsPerTxn }, (_, j) => keyOf(t * putsPerTxn + j)), () => false);
      console.log(`loaded ${o.keys} keys in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
      console.log(report('loaded', cluster));
      const backends = cluster.members.map((m) => m.node.processes.backend);
      const since = backends.map((b) => b.lineCount);

      let phase: Phase = 'quiet';
      const samples: { phase: Phase; ms: number }[] = [];
      let failed = 0;
      let stop = false;
      const paced = pacedPuts(conns, o.rate, (n) => keyOf(n * 7919), () => stop, (ms) => samples.push({ phase, ms }), () => failed++);
      await new Promise((r) => setTimeout(r, o.quietMs));

      phase = 'filling';
      const fillStarted = performance.now();
      let proposed = false;
      const proposal = Promise.race(backends.map((b, i) => b.waitForLine((l) => l.includes(proposingLine), o.cutTimeoutMs, since[i])));
      void proposal.then(() => (proposed = true), () => undefined);
      let filled = 0;
      const compacting: Promise<void>[] = [];
      const filling = txns(conns, Number.MAX_SAFE_INTEGER, (t) => Array.from({ length: putsPerTxn }, (_, j) => keyOf(t * putsPerTxn + j)), () => proposed, () => {
        // The history a client keeps (a Compact every 100,000 updates, on every member: each compacts its own key index).
        if (++filled % compactEveryTxns === 0) compacting.push(compactAll(conns));
      });
      await proposal;
      phase = 'cut';
      const cutStarted = performance.now();
      await filling;
      await Promise.all(compacting);
      await Promise.all(backends.map((b, i) => b.waitForLine((l) => l.includes(switchedLine), o.cutTimeoutMs, since[i])));
      const cutMs = performance.now() - cutStarted;
      phase = 'after';
      await new Promise((r) => setTimeout(r, o.afterMs));
      stop = true;
      await paced;

      console.log(`filling: ${filled} Txns of ${putsPerTxn} puts in ${((cutStarted - fillStarted) / 1000).toFixed(1)} s until a member proposed; the cut took ${(cutMs / 1000).toFixed(1)} s from the proposal to the last member's switch`);
      console.log(`| phase | puts at ${o.rate}/s | p50 ms | p99 ms | max ms |`, '\n|---|---|---|---|---|');
      for (const p of ['quiet', 'filling', 'cut', 'after'] as const) {
        const s = summarize(p, samples.filter((x) => x.phase === p).map((x) => x.ms), 0, 1);
        console.log(`| ${p} | ${s.requests} | ${s.latencyMs.p50.toFixed(1)} | ${s.latencyMs.p99.toFixed(1)} | ${s.latencyMs.max.toFixed(1)} |`);
      }
      console.log(`paced puts failed: ${failed}`);
      console.log(cutSteps(backends, since));
      console.log(report('end', cluster));
    } finally {
      for (const c of conns) c.close();
    }
  } finally {
    await cluster.stop();
  }
}

/** Txns `0 .. count-1` of `keysOf(t)` puts, `txnsInFlight` per member, until `done()`. */
async function txns(conns: Connection[], count: number, keysOf: (t: number) => Buffer[], done: () => boolean, onTxn: () => void = () => undefined): Promise<void> {
  let next = 0;
  const value = randomBytes(valueSize);
  const worker = async (c: Connection) => {
    while (next < count && !done()) {
      const t = next++;
      const success = keysOf(t).map((key) => ({ request_put: { key, value } }));
      await new Promise<void>((resolve, reject) => c.unary(paths.txn, encodeRequest('TxnRequest', { success }), (err) => (err ? reject(err) : resolve())));
      onTxn();
    }
  };
  await Promise.all(conns.flatMap((c) => Array.from({ length: txnsInFlight }, () => worker(c))));
}

/** A Compact on every member at its current revision. */
async function compactAll(conns: Connection[]): Promise<void> {
  await Promise.all(
    conns.map(async (c) => {
      const range = await unary(c, paths.range, encodeRequest('RangeRequest', { key: Buffer.from([0]), limit: 1, serializable: true }));
      const revision = (decodeMessage('RangeResponse', range) as { header?: { revision?: unknown } }).header?.revision;
      await unary(c, paths.compact, encodeRequest('CompactionRequest', { revision }));
    }),
  );
}

function unary(c: Connection, path: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => c.unary(path, request, (err, res) => (err ? reject(err) : resolve(res!))));
}

/** Puts at `rate` per second until `stopped()`, at most `pacedInFlightMax` in flight. */
async function pacedPuts(conns: Connection[], rate: number, keyOf: (n: number) => Buffer, stopped: () => boolean, onPut: (ms: number) => void, onError: () => void): Promise<void> {
  const value = randomBytes(valueSize);
  const started = performance.now();
  let sent = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (stopped()) {
        if (inFlight === 0) resolve();
        else setTimeout(tick, 10);
        return;
      }
      const due = Math.floor(((performance.now() - started) / 1000) * rate) + 1;
      while (sent < due && inFlight < pacedInFlightMax) {
        const n = sent++;
        inFlight++;
        const t0 = performance.now();
        conns[n % conns.length]!.unary(paths.put, encodeRequest('PutRequest', { key: keyOf(n), value }), (err) => {
          inFlight--;
          if (err) onError();
          else onPut(performance.now() - t0);
        });
      }
      setTimeout(tick, Math.max(1, started + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
}

/** The cut's steps as the members logged them, in ms from the proposal. */
function cutSteps(backends: ProcessHandle[], since: number[]): string {
  const lines = backends.map((b, i) => b.lines.slice(Math.max(0, b.lines.length - (b.lineCount - since[i]!))).map((l) => parsed(l)).filter((l) => l !== undefined));
  const proposedAt = Math.min(...lines.flat().filter((l) => l.msg === proposingLine).map((l) => l.at));
  const rows = lines.map((ls, i) => {
    const first = (msg: string) => ls.find((l) => l.msg === msg);
    const decided = first('cut decided');
    const built = first('cut base built');
    const switched = first(switchedLine);
    const rel = (l: { at: number } | undefined) => (l === undefined ? '-' : String(Math.round(l.at - proposedAt)));
    const buildSteps = ['historyMs', 'loadMs', 'recordMs', 'stateMs', 'baseMs', 'translateMs', 'outside'].map((k) => `${k} ${String(built?.fields[k] ?? '-')}`).join(', ');
    return `| ${names[i]} | ${rel(decided)} | ${rel(built)} (${String(built?.fields['buildMs'] ?? '-')}; ${buildSteps}) | ${rel(switched)} (${String(switched?.fields['switchMs'] ?? '-')}) | ${String(switched?.fields['documentBytes'] ?? '-')} | ${String(switched?.fields['translations'] ?? '-')} |`;
  });
  return ['| member | decided, ms after the proposal | base built (build ms) | switched (apply-loop ms) | new document bytes | translations |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function parsed(line: string): { msg: string; at: number; fields: Record<string, unknown> } | undefined {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    return typeof o['msg'] === 'string' && typeof o['time'] === 'string' ? { msg: o['msg'], at: Date.parse(o['time']), fields: o } : undefined;
  } catch {
    return undefined;
  }
}

/** Peak and current RSS of every node process. */
function report(label: string, cluster: Cluster): string {
  const mb = (pid: number, field: 'VmHWM' | 'VmRSS') => {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? '?' : String(Math.round(Number(kb) / 1024));
  };
  return cluster.members
    .map((m) => {
      const p = m.node.processes;
      const procs: [string, ProcessHandle][] = [['backend', p.backend], ['persister', p.persister], ...p.frontends.map((f, i): [string, ProcessHandle] => [`etcd-api-${i}`, f])];
      return `${label} ${m.nodeName}: ${procs.map(([n, h]) => `${n} peak ${mb(h.pid, 'VmHWM')} MB (now ${mb(h.pid, 'VmRSS')})`).join(', ')}`;
    })
    .join('\n');
}
