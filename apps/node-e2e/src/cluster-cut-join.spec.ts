// New members start from the current lineage (docs/ARCHITECTURE.md §8.10,
// part 7): two members of a three-member ECKD_INITIAL_CLUSTER (the third
// started later, libs/testing's `startLater`) write until they have cut
// (ECKD_CUT_WITH_PEERS=true, a small due rule; two of three voters are a
// majority). The third then starts on an empty database: it takes a peer's
// snapshot, which is the current document, so it starts on the cut's lineage
// (no message of the original lineage is ever sent or dropped), holds the
// same keys and values, and its writes replicate to the others and theirs to
// it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';
import { storedLineageOf } from './cut-cluster.js';

const names = ['node1', 'node2', 'node3'];
const switchedLine = "switched to a cut's lineage";
const putsPerRound = 400;
const inFlight = 8;

let cluster: Cluster;
const clients: Etcd3[] = [];

before(async () => {
  cluster = await startCluster({
    nodes: names.length,
    startLater: 1,
    jetstream: false,
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(','), ECKD_CUT_OPS: '2000', ECKD_REBASE_OPS_PER_KEY: '1', ECKD_CUT_WITH_PEERS: 'true', ECKD_CUT_LAGGARD_HOLD_MS: '20000' }),
  });
  for (const m of cluster.members.slice(0, 2)) clients.push(new Etcd3({ hosts: `http://${m.endpoints[0]!}` }));
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

const backendLines = (i: number) => cluster.member(i).node.processes.backend.lines;
const switched = (i: number) => backendLines(i).some((l) => l.includes(switchedLine));

const storedLineage = async (i: number) => (await storedLineageOf(cluster.member(i).database.url)).lineage;

async function stateOf(i: number): Promise<string> {
  const { kvs } = await clients[i]!.kv.range({ key: Buffer.from('join/'), range_end: Buffer.from('join0'), serializable: true });
  return createHash('sha256').update(JSON.stringify(kvs.map((kv) => [kv.key.toString(), kv.value.toString()]))).digest('hex');
}


async function writeRound(member: number, round: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < putsPerRound) {
      const n = next++;
      await clients[member]!.put(`join/${n % 50}`).value(`${names[member]}-${round}-${n}`).exec();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

describe('a member started after a coordinated cut', () => {
  test("starts on the cut's lineage from a peer's snapshot, converges, and replicates both ways", { timeout: 240_000 }, async () => {
    const started = Date.now();
    for (let round = 0; !switched(0) || !switched(1); round++) {
      assert.ok(Date.now() - started < 120_000, 'the two members cut');
      await Promise.all([0, 1].map((i) => writeRound(i, round)));
    }
    // The stored lineage is the cut's on both, once their switches' appends committed (a later cut may be under way: wait for one).
    let lineage = '';
    await waitUntil(async () => {
      const [a, b] = await Promise.all([storedLineage(0), storedLineage(1)]);
      lineage = a;
      return a !== '' && a === b;
    }, 30_000, 'both members on one stored cut lineage');

    const late = await cluster.startMember(2);
    clients.push(new Etcd3({ hosts: `http://${late.endpoints[0]!}` }));
    await waitUntil(async () => new Set(await Promise.all([0, 1, 2].map(stateOf))).size === 1, 60_000, 'the late member holds what the others hold');
    const joined = await storedLineage(2);
    assert.ok(joined !== '', 'the late member stored a snapshot of a cut lineage');
    // Its lineage is one the others were on (they may have cut again since).
    const others = new Set([lineage, await storedLineage(0), await storedLineage(1)]);
    assert.ok(others.has(joined), `the late member's lineage ${joined} is one of the others' (${[...others].join(', ')})`);
    assert.ok(backendLines(2).some((l) => l.includes('started from a snapshot')), 'it started from a snapshot');
    const dropped = backendLines(2).filter((l) => l.includes('peer message of another lineage dropped'));
    assert.deepEqual(dropped, [], 'the late member dropped no peer message of another lineage');

    await clients[2]!.put('join/late').value('from node3');
    await clients[0]!.put('join/early').value('from node1');
    for (const i of [0, 1, 2]) {
      await waitUntil(async () => (await clients[i]!.get('join/late').string()) === 'from node3' && (await clients[i]!.get('join/early').string()) === 'from node1', 20_000, `${names[i]} holds both writes`);
    }
    for (const i of [0, 1, 2]) {
      const bad = backendLines(i).filter((l) => /duplicate seq|missing dep|peer message not applied/i.test(l));
      assert.deepEqual(bad, [], `${names[i]}'s backend`);
    }
  });
});
