// The coordinated history cut end to end among members that are all up
// (docs/ARCHITECTURE.md §8.10, wiring step 3d): three members, each with its
// own nats-server and Postgres, ECKD_CUT_WITH_PEERS=true and a small due
// rule, written to through all three (shared keys written concurrently, and
// keys written once). Once a member is due it proposes, the members agree,
// and each switches to the new lineage at a batch boundary: they end on one
// lineage with the same keys and values, every acknowledged write is there,
// and a watch started before the cut on each member sees each write at most
// once (every write made through that member exactly once), in revision
// order: the switch itself makes no event. Once each member lets the old
// lineage go, its stored changes and snapshots leave that member's Postgres.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import type { IKeyValue, Watcher } from 'etcd3';
import pg from 'pg';
import { waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { cutClusterNames as names, startCutCluster, storedLineageOf } from './cut-cluster.js';

const sharedKeys = 20;
/** puts per member per round; a round is repeated until every member has switched */
const putsPerRound = 600;
const inFlight = 8;
/** puts per member once every member has switched, and per step while a later cut completes: too few to make a document due again */
const finalPuts = 150;
const settlePuts = 16;
const switchedLine = "switched to a cut's lineage";

let cluster: Cluster;
let clients: Etcd3[] = [];
let watchers: Watcher[] = [];
/** per member: what its watch saw, in arrival order */
const seen: { key: string; value: string; revision: number }[][] = names.map(() => []);
/** per member: the writes acknowledged through its own frontend */
const acked: { key: string; value: string }[][] = names.map(() => []);

before(async () => {
  cluster = await startCutCluster();
  clients = cluster.members.map((m) => new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
  watchers = await Promise.all(clients.map((c) => c.watch().prefix('cut/').create()));
  watchers.forEach((w, i) => w.on('put', (kv: IKeyValue) => seen[i]!.push({ key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) })));
}, { timeout: 120_000 });

after(async () => {
  for (const w of watchers) await w.cancel().catch(() => undefined);
  for (const c of clients) c.close();
  await cluster?.stop();
});

const backendLines = (i: number) => cluster.member(i).node.processes.backend.lines;
const switched = (i: number) => backendLines(i).some((l) => l.includes(switchedLine));
const lastSwitchedLineage = (i: number) => (JSON.parse(backendLines(i).findLast((l) => l.includes(switchedLine)) ?? '{}') as { lineage?: string }).lineage;

/** One member's round of puts, `inFlight` at a time: shared keys (values unique per write) and every fifth a key of its own written once. */
async function writeRound(member: number, round: number, puts = putsPerRound): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < puts) {
      const n = next++;
      const key = n % 5 === 0 ? `cut/once/${names[member]}/${round}/${n}` : `cut/shared/${n % sharedKeys}`;
      const value = `${names[member]}-${round}-${n}`;
      await clients[member]!.put(key).value(value).exec();
      acked[member]!.push({ key, value });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function rangeOf(member: number): Promise<Map<string, string>> {
  // Serializable: the member's own state, not one a linearizable read waits for.
  const { kvs } = await clients[member]!.kv.range({ key: Buffer.from('cut/'), range_end: Buffer.from('cut0'), serializable: true });
  return new Map(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

const digest = (state: Map<string, string>) => createHash('sha256').update(JSON.stringify([...state].sort())).digest('hex');


/** Member i's stored changes and snapshots of the original lineage (stored as ''). */
async function originalRows(member: number): Promise<number> {
  const db = new pg.Client({ connectionString: cluster.member(member).database.url });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: string }>("select (select count(*) from eckd_changes where lineage = '') + (select count(*) from eckd_snapshots where lineage = '') as n");
    return Number(rows[0]!.n);
  } finally {
    await db.end();
  }
}

describe('coordinated history cut among members that are all up', () => {
  test('due members propose, all three switch to one lineage; state, acknowledged writes and watches intact', { timeout: 150_000 }, async (t) => {
    const started = Date.now();
    let round = 0;
    // Writes through all three until every member has switched (a round takes a few seconds).
    while (!names.every((_, i) => switched(i))) {
      assert.ok(Date.now() - started < 90_000, `no cut on every member after ${round} rounds: ${names.filter((_, i) => !switched(i)).join(', ')} not switched`);
      await Promise.all(names.map((_, i) => writeRound(i, round)));
      round++;
    }
    const roundsToSwitch = round;
    // Some writes on the new lineage, from every member.
    await Promise.all(names.map((_, i) => writeRound(i, round, finalPuts)));
    round++;
    // The documents grow due again after a few thousand more ops, so a later cut may be under way; a built switch waits for a
    // batch with revisions: a few more writes until every member's latest switch names one lineage, its latest snapshot's.
    let lineages: { lineage: string; cut: number }[] = [];
    await waitUntil(async () => {
      lineages = await Promise.all(names.map((_, i) => storedLineageOf(cluster.member(i).database.url)));
      const latest = names.map((_, i) => lastSwitchedLineage(i));
      if (new Set([...latest, ...lineages.map((l) => l.lineage)]).size === 1) return true;
      await Promise.all(names.map((_, i) => writeRound(i, round++, settlePuts)));
      return false;
    }, 30_000, 'every member on the same latest lineage');

    // One state everywhere, every acknowledged write of a key written once there, every shared key's value one that was written.
    let states: Map<string, string>[] = [];
    await waitUntil(async () => {
      states = await Promise.all(names.map((_, i) => rangeOf(i)));
      return new Set(states.map(digest)).size === 1;
    }, 30_000, 'the members converge');
    const state = states[0]!;
    const written = new Set(acked.flat().map(({ key, value }) => `${key}=${value}`));
    for (const { key, value } of acked.flat()) if (key.startsWith('cut/once/')) assert.equal(state.get(key), value, `${key} is there`);
    for (const [key, value] of state) assert.ok(written.has(`${key}=${value}`), `${key}=${value} was written`);

    // The first cut made one new lineage, the same on every member; the latest is stored as each member's snapshot with its cut record.
    const logged = names.map((_, i) => JSON.parse(backendLines(i).find((l) => l.includes(switchedLine))!) as { lineage: string; cut: number });
    assert.equal(new Set(logged.map((l) => l.lineage)).size, 1, `one lineage: ${JSON.stringify(logged)}`);
    assert.ok(logged.every((l) => l.cut === 1));
    for (const [i, stored] of lineages.entries()) {
      assert.ok(stored.cut >= 1, `${names[i]} stored its cut record`);
      assert.ok(stored.lineage !== '', `${names[i]}'s latest snapshot is a cut's lineage`);
    }
    assert.equal(new Set(lineages.map((l) => l.lineage)).size, 1, `one stored lineage: ${JSON.stringify(lineages)}`);

    // The watches: revisions never go back (a peer's changes are one revision of several keys), no write seen twice (the switch made no event), every write made through the member seen once,
    // and the last event of each key is its value now.
    await waitUntil(() => seen.every((events) => digest(lastValues(events)) === digest(state)), 20_000, 'every watch ends on the state');
    for (const [i, events] of seen.entries()) {
      for (let n = 1; n < events.length; n++) {
        const [previous, event] = [events[n - 1]!, events[n]!];
        assert.ok(event.revision > previous.revision || (event.revision === previous.revision && event.key !== previous.key), `${names[i]}: ${event.key} at revision ${event.revision} after ${previous.key} at ${previous.revision}`);
      }
      const pairs = events.map((e) => `${e.key}=${e.value}`);
      assert.equal(new Set(pairs).size, pairs.length, `${names[i]}: no write seen twice`);
      const own = new Set(pairs);
      for (const { key, value } of acked[i]!) assert.ok(own.has(`${key}=${value}`), `${names[i]} saw its own write ${key}=${value}`);
      assert.deepEqual([...lastValues(events)].sort(), [...state].sort(), `${names[i]}: the watch ends on the state`);
    }

    // Every member heard the others on the new lineage, so each let the old one go before the hold (20 s) ran out.
    await waitUntil(() => names.every((_, i) => backendLines(i).some((l) => l.includes('old lineage let go'))), 20_000, 'every member lets the old lineage go');
    for (const [i] of names.entries()) {
      const letGo = JSON.parse(backendLines(i).find((l) => l.includes('old lineage let go'))!) as { notHeard: string[] };
      assert.deepEqual(letGo.notHeard, [], `${names[i]} heard every member on the new lineage`);
    }
    // Let go, the original lineage's stored changes and snapshots leave each member's Postgres (AppendRequest.drop_lineage, §8.10, 5): a
    // batch after the release carries the drop, so a few more writes.
    await waitUntil(async () => {
      const left = await Promise.all(names.map((_, i) => originalRows(i)));
      if (left.every((n) => n === 0)) return true;
      await Promise.all(names.map((_, i) => writeRound(i, round++, settlePuts)));
      return false;
    }, 30_000, "the original lineage's rows dropped on every member");
    t.diagnostic(`${roundsToSwitch} rounds of ${putsPerRound} puts per member until every member switched, ${round - roundsToSwitch} smaller ones after; cut, switch and checks in ${Date.now() - started} ms`);

    // Nothing refused as a duplicate sequence or for missing dependencies.
    for (const [i] of names.entries()) {
      const bad = backendLines(i).filter((l) => /duplicate|missing dep|peer message not applied/i.test(l));
      assert.deepEqual(bad, [], `${names[i]}'s backend`);
    }
  });
});

function lastValues(events: readonly { key: string; value: string }[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const e of events) last.set(e.key, e.value);
  return last;
}
