// Bounded memory in a cluster (docs/ARCHITECTURE.md §8.10, issue 13's load
// test): three members, each with its own nats-server and Postgres,
// ECKD_CUT_WITH_PEERS=true and the default due rule (ECKD_CUT_OPS 50,000,
// ECKD_REBASE_OPS_PER_KEY 4), take 1,000,000 updates of 1,000 keys, spread
// over the three (Txns of 100 puts, a few in flight per member, every member
// writing every key), with a Compact after every 100,000 updates on every
// member (a member's Compact compacts its own key index, whose revisions are
// its own, ARCHITECTURE §8.1), at its current revision. The documents are due
// every ~50,000 ops, so the members cut about twenty times. Then: every
// backend's peak RSS (VmHWM) stays under the single-node bound, 400 MB, the
// members converge on one lineage and one state (the same keys and values),
// each member's keys written once are there everywhere, every key's value is
// one that was written, and no backend ever logged a duplicate sequence or a
// missing dependency.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import type { IRequestOp } from 'etcd3';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { storedLineageOf } from './cut-cluster.js';

const names = ['node1', 'node2', 'node3'];
const updates = 1_000_000;
const keys = 1_000;
const putsPerTxn = 100;
const txnsInFlightPerMember = 4;
const compactEvery = 100_000;
/**
 * The single-node bound. Measured (docs/BENCHMARKS.md, "The coordinated
 * cut's memory"): a document of 50,000 ops, the build's copy of it at the cut
 * point and the key index between two Compacts.
 */
const peakRssMaxBytes = 400 * 1024 * 1024;
/** every this many Txns of a member, one of its puts is a key of its own written once */
const onceEvery = 10;
const badLine = (l: string) => /duplicate seq|missing dep|peer message not applied/i.test(l);

let cluster: Cluster;
let clients: Etcd3[] = [];
/** per member: the first bad backend line, if one was ever printed (watched from the start: the kept lines are bounded) */
const bad: (string | undefined)[] = names.map(() => undefined);

before(async () => {
  cluster = await startCluster({
    nodes: names.length,
    jetstream: false,
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(','), ECKD_CUT_WITH_PEERS: 'true', ECKD_CUT_LAGGARD_HOLD_MS: '30000' }),
  });
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  for (const [i] of names.entries()) {
    cluster.member(i).node.processes.backend.waitForLine(badLine, 2_000_000_000).then(
      (line) => (bad[i] ??= line),
      () => undefined, // the backend stopped
    );
  }
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

/** Peak resident set (VmHWM) of a live process, in bytes. */
function peakRssBytes(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  assert.ok(kb, `VmHWM of ${pid}`);
  return Number(kb) * 1024;
}

async function rangeOf(member: number, prefix: string): Promise<Map<string, string>> {
  const { kvs } = await clients[member]!.kv.range({ key: Buffer.from(prefix), range_end: Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)), serializable: true });
  return new Map(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

const digest = (state: Map<string, string>) => createHash('sha256').update(JSON.stringify([...state].sort())).digest('hex');


/**
 * Txns sent again after a timeout (a timed-out write may stand, so the same
 * one again is what a client does), and after the etcd3 client's circuit
 * breaker opened on timeouts (it refuses for 5 s). Counted and printed: the
 * write pauses a cut causes are measured by `eckd-bench cluster-cut`
 * (docs/BENCHMARKS.md), not asserted here.
 */
let retried = 0;
const retriesMax = 10;
const breakerOpenMs = 5_000;

async function txnRetried(member: number, success: IRequestOp[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await clients[member]!.kv.txn({ success });
      return;
    } catch (err) {
      const breaker = /circuit breaker is open/.test(String(err));
      if (attempt === retriesMax || !(breaker || /request timed out/.test(String(err)))) throw err;
      retried++;
      if (breaker) await new Promise((r) => setTimeout(r, breakerOpenMs));
    }
  }
}

describe('a coordinated cut under load: bounded memory on every member', () => {
  test('1,000,000 updates of 1,000 keys over three members with a Compact every 100,000: bounded peak RSS, one lineage, one state, nothing lost', { timeout: 1_500_000 }, async (t) => {
    const started = Date.now();
    const txns = updates / putsPerTxn;
    let nextTxn = 0;
    let done = 0;
    const once: string[] = [];
    const compacts: number[] = [];
    const member = async (m: number) => {
      for (;;) {
        const n = nextTxn++;
        if (n >= txns) return;
        // Every member writes every key: the 100 puts of Txn n are keys n*100 .. n*100+99 (mod 1,000); every tenth Txn one more, of a key written once.
        const success: IRequestOp[] = [];
        for (let j = 0; j < putsPerTxn; j++) {
          const key = `load/k${String((n * putsPerTxn + j) % keys).padStart(4, '0')}`;
          success.push({ request_put: { key: Buffer.from(key), value: Buffer.from(`${names[m]}-${n}-${j}`) } });
        }
        const onceKey = `load-once/${names[m]}/${n}`;
        if (n % onceEvery === 0) success.push({ request_put: { key: Buffer.from(onceKey), value: Buffer.from(names[m]!) } });
        await txnRetried(m, success);
        if (n % onceEvery === 0) once.push(`${onceKey}=${names[m]}`);
        done++;
        // A member's Compact compacts its own key index (its revisions are its own, ARCHITECTURE §8.1): every member is told, at its revision.
        if ((done * putsPerTxn) % compactEvery === 0) {
          await Promise.all(clients.map(async (c) => c.kv.compact({ revision: (await c.kv.range({ key: Buffer.from('load/'), limit: 1, serializable: true })).header.revision })));
          compacts.push(done);
        }
      }
    };
    await Promise.all(names.flatMap((_, m) => Array.from({ length: txnsInFlightPerMember }, () => member(m))));
    const wroteMs = Date.now() - started;

    // One lineage: a cut may be under way as the writes stop; its built switch waits for a batch with revisions, so a few more writes.
    let lineages: { lineage: string; cut: number }[] = [];
    let settle = 0;
    await waitUntil(async () => {
      lineages = await Promise.all(names.map((_, i) => storedLineageOf(cluster.member(i).database.url)));
      if (new Set(lineages.map((l) => l.lineage)).size === 1 && lineages[0]!.lineage) return true;
      await Promise.all(clients.map((c, i) => c.put(`load-settle/${names[i]}`).value(String(settle))));
      settle++;
      return false;
    }, 120_000, 'every member on the same stored lineage');
    for (const [i, l] of lineages.entries()) assert.ok(l.cut >= 2, `${names[i]} is on the lineage of cut 2 or later (cut ${l.cut})`);

    let states: Map<string, string>[] = [];
    await waitUntil(async () => {
      states = await Promise.all(names.map((_, i) => rangeOf(i, 'load/')));
      return new Set(states.map(digest)).size === 1;
    }, 60_000, 'the members converge');
    const state = states[0]!;
    assert.equal(state.size, keys);
    for (const [key, value] of state) {
      const [writer, txn, j] = value.split('-');
      assert.ok(names.includes(writer!) && (Number(txn) * putsPerTxn + Number(j)) % keys === Number(key.slice('load/k'.length)), `${key}=${value} was written`);
    }
    const onceStates = await Promise.all(names.map((_, i) => rangeOf(i, 'load-once/')));
    for (const [i, s] of onceStates.entries()) {
      assert.equal(s.size, once.length, `${names[i]} holds every key written once`);
      for (const pair of once) {
        const [key, value] = pair.split('=');
        assert.equal(s.get(key!), value, `${names[i]}: ${key}`);
      }
    }

    const peaks = names.map((_, i) => peakRssBytes(cluster.member(i).node.processes.backend.pid));
    t.diagnostic(
      `${updates} updates in ${wroteMs} ms (${retried} Txns timed out and sent again), ${compacts.length} compacts, on the lineage of cut ${lineages.map((l) => l.cut).join('/')}, ` +
        `backend peak RSS ${peaks.map((b) => `${Math.round(b / 1024 / 1024)} MB`).join(', ')}, whole test ${Date.now() - started} ms`,
    );
    for (const [i, peak] of peaks.entries()) assert.ok(peak < peakRssMaxBytes, `${names[i]}'s backend peak RSS ${Math.round(peak / 1024 / 1024)} MB`);
    assert.equal(compacts.length, updates / compactEvery);
    assert.deepEqual(bad, names.map(() => undefined), 'no duplicate sequence or missing dependency logged');
  });
});
