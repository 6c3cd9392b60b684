// A coordinated history cut interrupted by SIGKILL (docs/ARCHITECTURE.md
// §8.10, failure cases; issue 13: "either completes everywhere or is
// abandoned everywhere"): three members, each with its own nats-server and
// Postgres, ECKD_CUT_WITH_PEERS=true and a small due rule, written to through
// all three while cuts come one after another. Each test kills one backend
// (or persister) at a point of the next cut (the decision heard, the base
// built, right after proposing), writes on through the others, restarts it,
// and checks outcomes only: every member ends on one lineage (its latest
// stored snapshot's) with the same keys and values, every acknowledged write
// there, every value one that was written, and no log line of a duplicate
// sequence or missing dependencies. The durations measured are reported as
// diagnostics, never asserted. A proposer killed before anyone accepted its
// value that comes back after the others decided is a laggard: it rejoins
// their lineage (§8.10, 6).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { waitUntil } from '@eckd/testing';
import type { Cluster, ProcessHandle } from '@eckd/testing';
import { cutClusterNames as names, startCutCluster, storedLineageOf } from './cut-cluster.js';

const sharedKeys = 20;
const inFlight = 4;
/** a put not answered within this is left out of what must be there (it may still apply) */
const putTimeoutMs = 15_000;
/**
 * puts per member that the others make after the kill, before the restart:
 * writes keep going during it, but the member comes back within the hold (a
 * member back after it, or more than one cut behind, is a laggard: §8.10, 6)
 */
const putsWhileDown = 100;
const settlePuts = 16;

let cluster: Cluster;
let clients: Etcd3[] = [];
/** every write made (acknowledged or not): a value seen must be one of them */
const attempted = new Set<string>();
/** the writes acknowledged, per member */
const acked: { key: string; value: string }[][] = names.map(() => []);
let writeSerial = 0;

before(async () => {
  cluster = await startCutCluster({ ECKD_CUT_ROUND_TIMEOUT_MS: '3000', ECKD_CUT_RETRY_MS: '500', ECKD_CUT_LAGGARD_HOLD_MS: '45000' });
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const backend = (i: number): ProcessHandle => cluster.member(i).node.processes.backend;
/** The lines of member i's backend (both incarnations) logged since line number `since`. */
const linesSince = (i: number, since: number) => {
  const b = backend(i);
  return b.lines.slice(Math.max(0, b.lines.length - (b.lineCount - since)));
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

/** One put through member i: shared keys (unique values), every fifth a key written once. A failed put is not required to be there. */
async function put(i: number): Promise<boolean> {
  const n = writeSerial++;
  const key = n % 5 === 0 ? `kill/once/${names[i]}/${n}` : `kill/shared/${n % sharedKeys}`;
  const value = `${names[i]}-${n}`;
  attempted.add(`${key}=${value}`);
  try {
    await withTimeout(clients[i]!.put(key).value(value).exec(), putTimeoutMs);
    acked[i]!.push({ key, value });
    return true;
  } catch {
    return false;
  }
}

/** Writers through the given members, `inFlight` each, until stopped; counts the acknowledged puts. */
function startWriters(members: readonly number[]) {
  let stopped = false;
  const done = names.map(() => 0);
  const workers = members.flatMap((i) =>
    Array.from({ length: inFlight }, async () => {
      while (!stopped) {
        if (await put(i)) done[i]!++;
        // A member whose backend is down answers errors at once: do not spin.
        else await new Promise((r) => setTimeout(r, 200));
      }
    }),
  );
  return {
    done,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

/** Polls (every 5 ms) until one of `members`' backends logs a line containing `text` after `since`: that member. */
async function firstToLog(members: readonly number[], text: string, since: number[], timeoutMs: number): Promise<{ member: number; line: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const i of members) {
      const line = linesSince(i, since[i]!).find((l) => l.includes(text));
      if (line) return { member: i, line };
    }
    assert.ok(Date.now() < deadline, `no member of ${members.map((i) => names[i]).join(', ')} logged "${text}" within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}


async function rangeOf(i: number): Promise<Map<string, string>> {
  // Serializable: the member's own state.
  const { kvs } = await clients[i]!.kv.range({ key: Buffer.from('kill/'), range_end: Buffer.from('kill0'), serializable: true });
  return new Map(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

const digest = (state: Map<string, string>) => createHash('sha256').update(JSON.stringify([...state].sort())).digest('hex');

/**
 * After the restart: a few puts at a time (a built switch waits for a batch
 * with revisions) until every member's latest stored snapshot names one
 * lineage and every member shows the same keys and values. Returns them.
 */
async function converge(timeoutMs: number) {
  let lineages: { lineage: string; cut: number }[] = [];
  let states: Map<string, string>[] = [];
  await waitUntil(async () => {
    lineages = await Promise.all(names.map((_, i) => storedLineageOf(cluster.member(i).database.url)));
    if (new Set(lineages.map((l) => l.lineage)).size === 1) {
      states = await Promise.all(names.map((_, i) => rangeOf(i)));
      if (new Set(states.map(digest)).size === 1) return true;
    }
    await Promise.all(names.map(async (_, i) => {
      for (let n = 0; n < settlePuts; n++) await put(i);
    }));
    return false;
  }, timeoutMs, 'every member on one lineage with one state');
  return { lineage: lineages[0]!, state: states[0]! };
}

function assertOutcome(state: Map<string, string>, label: string) {
  for (const { key, value } of acked.flat()) if (key.startsWith('kill/once/')) assert.equal(state.get(key), value, `${label}: acknowledged ${key} is there`);
  for (const [key, value] of state) assert.ok(attempted.has(`${key}=${value}`), `${label}: ${key}=${value} was written`);
  for (const [i] of names.entries()) {
    const bad = backend(i).lines.filter((l) => /duplicate|missing dep|peer message not applied/i.test(l));
    assert.deepEqual(bad, [], `${label}: ${names[i]}'s backend`);
  }
}

/**
 * Writes through all three until `trigger` picks a member and a moment
 * (resolving with it), kills that member's backend at once, writes on
 * through the others, restarts it, and waits for convergence.
 */
async function killMidCut(
  t: { diagnostic(msg: string): void },
  label: string,
  trigger: (since: number[]) => Promise<{ member: number; line: string }>,
  opts: { convergeMs?: number; process?: 'backend' | 'persister' } = {},
) {
  const which = opts.process ?? 'backend';
  const since = names.map((_, i) => backend(i).lineCount);
  const writers = startWriters(names.map((_, i) => i));
  let killed: { member: number; line: string };
  try {
    killed = await trigger(since);
    await cluster.kill(killed.member, which);
  } finally {
    await writers.stop();
  }
  const others = names.map((_, i) => i).filter((i) => i !== killed.member);
  const atKill = (JSON.parse(killed.line) as { cut?: string | number }).cut;
  // Writes go on through the others while it is down.
  const whileDown = startWriters(others);
  await waitUntil(() => others.every((i) => whileDown.done[i]! >= putsWhileDown), 120_000, 'writes through the others while it is down');
  await whileDown.stop();
  const restartedAt = backend(killed.member).lineCount;
  let backendExited = false;
  await cluster.member(killed.member).node.processes[which].restart();
  if (which === 'persister') {
    // Its backend either rides the outage out (its appends retried) or exits (§6a): a write through it answered, or a restart.
    await waitUntil(async () => !backend(killed.member).running || (await put(killed.member)), 60_000, 'the backend answers again or has exited');
    backendExited = !backend(killed.member).running;
    if (backendExited) await backend(killed.member).restart();
  }
  const restarted = Date.now();
  const { lineage, state } = await converge(opts.convergeMs ?? 150_000).catch(async (err: unknown) => {
    // What each member's cut did, to see where it stopped.
    for (const [i] of names.entries()) t.diagnostic(`${names[i]}:\n${linesSince(i, since[i]!).filter((l) => /"msg":"[^"]*(cut|lineage|prepare)/i.test(l) && !/dropped|newer lineage/.test(l)).slice(-15).map((l) => l.slice(0, 300)).join('\n')}`);
    const lineages = await Promise.all(names.map((_, i) => storedLineageOf(cluster.member(i).database.url)));
    // The lineage each member switched to by the interrupted cut, if it did (its log, both incarnations).
    const switchedTo = names.map((_, i) => linesSince(i, since[i]!).filter((l) => l.includes("switched to a cut's lineage")).map((l) => JSON.parse(l) as { lineage: string; cut: number }).find((r) => r.cut === Number(atKill))?.lineage);
    throw Object.assign(err as Error, { lineages, killed: killed.member, switchedTo, cutAtKill: Number(atKill) });
  });
  const convergedMs = Date.now() - restarted;
  assertOutcome(state, label);
  // How the restarted member came to the decided cut, if it did: its acceptor's own prepare, a voter's answer, a decision sent.
  const after = linesSince(killed.member, restartedAt).filter((l) => /proposing a history cut|no cut decision heard|cut decided|cut chosen|switched to a cut/.test(l)).map((l) => (JSON.parse(l) as { msg: string }).msg);
  t.diagnostic(`${label}: ${names[killed.member]}'s ${which} killed at cut ${String(atKill)}${which === 'persister' ? (backendExited ? ' (its backend exited and was restarted)' : ' (its backend rode it out)') : ''}; after its restart every member on cut ${lineage.cut} (${lineage.lineage.slice(0, 12) || 'original'}) with one state in ${convergedMs} ms; ${state.size} keys; the restarted member logged: ${after.join(' / ') || 'nothing of a cut'}`);
  return { killed: killed.member, cutAtKill: Number(atKill), lineage };
}

describe('a coordinated cut interrupted by SIGKILL completes everywhere or nowhere', () => {
  test("a member's backend killed once it heard the decision, before its switch", { timeout: 300_000 }, async (t) => {
    await completedEverywhere(() => killMidCut(t, 'killed at the decision', (since) => firstToLog([2], 'cut decided', since, 150_000), { convergeMs: 90_000 }));
  });

  test("a member's backend killed once its base is built, before its switch's append", { timeout: 300_000 }, async (t) => {
    await completedEverywhere(() => killMidCut(t, 'killed with the base built', (since) => firstToLog([1], 'cut base built', since, 150_000), { convergeMs: 90_000 }));
  });

  test("a member's persister killed once its backend's base is built, before the switch's append", { timeout: 300_000 }, async (t) => {
    await completedEverywhere(() => killMidCut(t, 'persister killed with the base built', (since) => firstToLog([0], 'cut base built', since, 150_000), { process: 'persister', convergeMs: 90_000 }));
  });

  test('the proposer\'s backend killed right after it proposed', { timeout: 400_000 }, async (t) => {
    // Completed or abandoned: either is one lineage everywhere, which converge() requires. If nobody accepted its value and the
    // others chose another while it was down, it comes back a laggard and rejoins their lineage (§8.10, 6).
    const { killed } = await killMidCut(t, 'proposer killed', (since) => firstToLog([0, 1, 2], 'proposing a history cut', since, 150_000), { convergeMs: 120_000 });
    const rejoined = backend(killed).lines.some((l) => l.includes('rejoined a newer lineage from a snapshot') || l.includes('following its cut decision'));
    t.diagnostic(`${names[killed]} ${rejoined ? 'came back a laggard and rejoined' : 'came back on the lineage the others were on, or completed the cut with them'}`);
  });
});

/**
 * The interrupted (decided) cut completed on every member: they converge on
 * one lineage at or after it. A later cut may leave the restarted member
 * behind (it lacked that cut's point when the others switched at once); it
 * then rejoins as a laggard (§8.10, 6), which converge() waits for.
 */
async function completedEverywhere(run: () => ReturnType<typeof killMidCut>) {
  const { lineage, cutAtKill } = await run();
  assert.ok(lineage.cut >= cutAtKill, `the decided cut ${cutAtKill} completed everywhere (now on cut ${lineage.cut})`);
}
