// Laggards of the coordinated history cut (docs/ARCHITECTURE.md §8.10, 6):
// three members, each with its own nats-server and Postgres,
// ECKD_CUT_WITH_PEERS=true, a small due rule and a short hold. A member
// paused (SIGSTOP) across two cuts, and one partitioned away with writes of
// its own while the others cut, rejoin the others' lineage once they are
// back: one lineage, one state, every acknowledged write there. The
// partitioned member learns the decision from members restarted since the
// cut (their cut record answers its question).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { storedLineageOf } from './cut-cluster.js';

const names = ['node1', 'node2', 'node3'];
const switchedLine = "switched to a cut's lineage";
const rejoinedLine = 'rejoined a newer lineage from a snapshot';
const sharedKeys = 20;

interface Running {
  cluster: Cluster;
  clients: Etcd3[];
  /** per member: the writes acknowledged through its own frontend */
  acked: { key: string; value: string }[][];
}

async function start(): Promise<Running> {
  const cluster = await startCluster({
    nodes: names.length,
    jetstream: false,
    nodeEnv: () => ({
      ECKD_INITIAL_CLUSTER: names.join(','),
      ECKD_CUT_OPS: '2000',
      ECKD_REBASE_OPS_PER_KEY: '1',
      ECKD_CUT_WITH_PEERS: 'true',
      // Short: the members that switched let a silent member's lineage go, so the next cut can come.
      ECKD_CUT_LAGGARD_HOLD_MS: '2000',
      ECKD_CUT_CATCH_UP_MS: '2000',
      ECKD_CUT_ROUND_TIMEOUT_MS: '2000',
    }),
  });
  const clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  return { cluster, clients, acked: names.map(() => []) };
}

async function stop(running: Running | undefined): Promise<void> {
  for (const c of running?.clients ?? []) c.close();
  await running?.cluster.stop();
}

const linesOf = (r: Running, i: number) => r.cluster.member(i).node.processes.backend.lines;
const count = (r: Running, i: number, text: string) => linesOf(r, i).filter((l) => l.includes(text)).length;
const lastLogged = (r: Running, i: number, text: string) => JSON.parse(linesOf(r, i).findLast((l) => l.includes(text)) ?? '{}') as { lineage?: string; cut?: number; ms?: number };

/** `puts` puts through `member`, 8 at a time: shared keys, and every fifth a key of its own written once (`tag` keeps rounds apart). */
async function writeRound(r: Running, member: number, tag: string, puts: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < puts) {
      const n = next++;
      const key = n % 5 === 0 ? `lag/once/${names[member]}/${tag}/${n}` : `lag/shared/${n % sharedKeys}`;
      const value = `${names[member]}-${tag}-${n}`;
      await r.clients[member]!.put(key).value(value).exec();
      r.acked[member]!.push({ key, value });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function rangeOf(r: Running, member: number): Promise<Map<string, string>> {
  const { kvs } = await r.clients[member]!.kv.range({ key: Buffer.from('lag/'), range_end: Buffer.from('lag0'), serializable: true });
  return new Map(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

const digest = (state: Map<string, string>) => createHash('sha256').update(JSON.stringify([...state].sort())).digest('hex');


/** Writes through `writers` until each of `members` logged `cuts` switches (or fails after `ms`). */
async function writeUntilCuts(r: Running, writers: number[], members: number[], cuts: number, ms: number): Promise<number> {
  const started = Date.now();
  let round = 0;
  while (!members.every((i) => count(r, i, switchedLine) >= cuts)) {
    assert.ok(Date.now() - started < ms, `not ${cuts} cuts on ${members.map((i) => names[i]).join(', ')} after ${round} rounds: ${members.map((i) => count(r, i, switchedLine)).join(', ')}`);
    await Promise.all(writers.map((i) => writeRound(r, i, `r${round}`, 400)));
    round++;
  }
  return round;
}

/** The members converge on one lineage (each one's latest stored snapshot's) and one state; returns that state. */
async function converged(r: Running): Promise<Map<string, string>> {
  let states: Map<string, string>[] = [];
  let round = 0;
  await waitUntil(async () => {
    const lineages = await Promise.all(names.map((_, i) => storedLineageOf(r.cluster.member(i).database.url).then((l) => l.lineage)));
    states = await Promise.all(names.map((_, i) => rangeOf(r, i)));
    if (new Set(lineages).size === 1 && !lineages.includes('') && new Set(states.map(digest)).size === 1) return true;
    // A rejoin's or a switch's rebase rides on the next batch with revisions: a few writes give every member one.
    await Promise.all(names.map((_, i) => writeRound(r, i, `settle${round}`, 10)));
    round++;
    return false;
  }, 60_000, 'one lineage and one state on every member');
  return states[0]!;
}

function assertClean(r: Running): void {
  for (const [i] of names.entries()) {
    const bad = linesOf(r, i).filter((l) => /duplicate|missing dep|peer message not applied|apply loop failed/i.test(l));
    assert.deepEqual(bad, [], `${names[i]}'s backend`);
  }
}

describe('laggards of a coordinated cut rejoin the current lineage', () => {
  test('a member paused across two cuts rejoins, every acknowledged write there', { timeout: 240_000 }, async (t) => {
    let r: Running | undefined;
    try {
      r = await start();
      const running = r;
      await Promise.all(names.map((_, i) => writeRound(running, i, 'before', 100)));
      const backend3 = r.cluster.member(2).node.processes.backend;
      backend3.kill('SIGSTOP');
      const paused = Date.now();
      let resumed = 0;
      try {
        await writeUntilCuts(r, [0, 1], [0, 1], 2, 150_000);
      } finally {
        backend3.kill('SIGCONT');
        resumed = Date.now();
      }
      await waitUntil(() => count(running, 2, rejoinedLine) > 0, 60_000, 'node3 rejoins');
      const rejoinedMs = Date.now() - resumed;
      const state = await converged(r);
      const convergedMs = Date.now() - resumed;
      const rejoined = lastLogged(r, 2, rejoinedLine);
      assert.ok(rejoined.cut !== undefined && rejoined.cut >= 2, `node3 rejoined cut ${rejoined.cut}`);
      // The lineage node3 took is one the others switched to (converged() found one lineage stored everywhere).
      for (const i of [0, 1]) assert.ok(linesOf(running, i).some((l) => l.includes(switchedLine) && l.includes(rejoined.lineage!)), `${names[i]} switched to ${rejoined.lineage}`);
      const written = new Set(r.acked.flat().map(({ key, value }) => `${key}=${value}`));
      for (const { key, value } of r.acked.flat()) if (key.startsWith('lag/once/')) assert.equal(state.get(key), value, `${key} is there`);
      for (const [key, value] of state) assert.ok(written.has(`${key}=${value}`), `${key}=${value} was written`);
      assertClean(r);
      t.diagnostic(`paused ${resumed - paused} ms across ${count(r, 0, switchedLine)} cuts; after SIGCONT: rejoined in ${rejoinedMs} ms (${JSON.stringify(rejoined)}), converged in ${convergedMs} ms`);
    } finally {
      await stop(r);
    }
  });

  test('a member partitioned with writes of its own rejoins; its writes reach every member', { timeout: 240_000 }, async (t) => {
    let r: Running | undefined;
    try {
      r = await start();
      const running = r;
      await Promise.all(names.map((_, i) => writeRound(running, i, 'before', 100)));
      await r.cluster.partition([[0, 1], [2]]);
      // node3 acknowledges alone (the external factor is 0): its own keys and shared keys the majority writes too.
      const minority = writeRound(r, 2, 'alone', 300);
      await writeUntilCuts(r, [0, 1], [0, 1], 1, 120_000);
      await minority;
      const ownWrites = r.acked[2]!.filter(({ key }) => key.startsWith('lag/once/node3/alone/'));
      // Restarted, the majority's members know the decision from their cut record only: they still answer node3's question with it.
      for (const i of [0, 1]) await r.cluster.member(i).node.processes.backend.restart();
      await r.cluster.heal();
      const healed = Date.now();
      await waitUntil(() => count(running, 2, rejoinedLine) > 0 || count(running, 2, switchedLine) > 0, 60_000, 'node3 follows the cut');
      const followedMs = Date.now() - healed;
      assert.ok(count(running, 2, 'following its cut decision') > 0, 'node3 learned the decision from a restarted member');
      const state = await converged(r);
      const convergedMs = Date.now() - healed;
      for (const { key, value } of ownWrites) assert.equal(state.get(key), value, `node3's ${key} is on every member`);
      const written = new Set(r.acked.flat().map(({ key, value }) => `${key}=${value}`));
      for (const [key, value] of state) assert.ok(written.has(`${key}=${value}`), `${key}=${value} was written`);
      assertClean(r);
      t.diagnostic(`after heal: node3 followed in ${followedMs} ms (${JSON.stringify(lastLogged(r, 2, rejoinedLine))}), converged in ${convergedMs} ms; ${ownWrites.length} own writes of node3 kept`);
    } finally {
      await stop(r);
    }
  });
});
