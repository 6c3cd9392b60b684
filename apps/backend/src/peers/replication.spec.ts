import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, createKvDocument, encodedPeerSyncOfHeads } from '@eckd/automerge-doc';
import { clusterSubjects } from '@eckd/change-codec';
import { LeaseStore } from '@eckd/mvcc';
import { MemoryNetwork, createLogger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import type { BatchEffects, NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { emptyStoreOfBand } from './peer-config.js';
import { PeerLink } from './peer-link.js';
import type { PeerItem, PeerMember } from './peer-link.js';
import { PeerSyncRounds } from './peer-sync.js';
import { PeerReplication } from './replication.js';
import { quietPeerConfig } from './test-peer-config.js';

const log = createLogger('replication-spec', { level: 'error' });
const prefix = 't';
const subjects = clusterSubjects(prefix);
const names = ['node1', 'node2'];
const memberOf = (band: number): PeerMember => ({ name: names[band]!, band, id: String(nodeIdentity('c', names[band]!).member_id) });
const effects = (): BatchEffects => ({ patches: [], compactRevision: undefined });

function state(band: number): NodeState {
  return { store: emptyStoreOfBand(band), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock: new HybridClock(BigInt(band + 1), () => 1_000) };
}

/** One local batch of puts, committed with the member's origin. */
function batch(m: NodeState, keys: string[]): Uint8Array {
  for (const key of keys) applyWrite(m, effects(), { put: { key: Buffer.from(key), value: Buffer.from(`v-${key}`) } });
  return m.doc.commit({ member: m.clock!.member, revision: BigInt(m.store.revision) })!.bytes;
}

function link(net: MemoryNetwork, band: number): PeerLink {
  return new PeerLink({ messenger: net.messenger(), subjects, identity: nodeIdentity('c', names[band]!), self: memberOf(band), peers: { peer: (id) => (id === memberOf(1 - band).id ? memberOf(1 - band) : undefined) }, log });
}

const config = quietPeerConfig(names);

describe('replication in the apply loop', () => {
  test("a peer's pushes waiting in the inbox become one local revision, even when they arrived out of order", async () => {
    const net = new MemoryNetwork();
    const a = state(0);
    const b = state(1);
    const replication = new PeerReplication({
      messenger: net.messenger(),
      subjectPrefix: prefix,
      nodeName: 'node1',
      members: [memberOf(0), memberOf(1)],
      self: memberOf(0),
      identity: nodeIdentity('c', 'node1'),
      config,
      state: a,
      persistedSyncStates: new Map(),
      wake: () => undefined,
      log,
    });
    replication.start();
    const fromB = link(net, 1);
    const changes = [batch(b, ['k1']), batch(b, ['k2', 'k3']), batch(b, ['k4'])];
    for (const change of changes.reverse()) fromB.pushChanges([change], b.doc.heads());
    await net.settle();

    const e = effects();
    const applied = replication.beforeProposals(a, e);
    assert.equal(applied.length, 3);
    assert.deepEqual(e.patches.map((p) => [Number(p.revision), p.events.length]), [[2, 4]]);
    assert.deepEqual(a.doc.keys(), ['k1', 'k2', 'k3', 'k4']);
    assert.equal(a.store.kvAt(Buffer.from('k3'))?.value.toString(), 'v-k3');
    assert.deepEqual(replication.beforeProposals(a, effects()), []);
    replication.stop();
  });
});

describe('sync rounds', () => {
  /** Two members' rounds on one network; what each receives waits in its inbox. */
  function pair(peerHoldsOurs = () => true) {
    const net = new MemoryNetwork();
    const links = [link(net, 0), link(net, 1)];
    const inbox: PeerItem[][] = [[], []];
    links.forEach((l, band) => l.start((item) => inbox[band]!.push(item)));
    const rounds = links.map((l, band) => new PeerSyncRounds({ peers: () => [memberOf(1 - band)], link: l, timeoutMs: 3_600_000, storeIntervalMs: 0, persisted: new Map(), pushSilenceMs: 400, peerHoldsOurs, log }));
    const docs = [state(0), state(1)];
    /** Delivers every waiting message; answers at once only those the rounds say to; returns how many were not answered. */
    const deliver = async (): Promise<number> => {
      let deferred = 0;
      for (let moved = true; moved; ) {
        await net.settle();
        moved = false;
        for (const band of [0, 1]) {
          for (const item of inbox[band]!.splice(0)) {
            if (item.kind !== 'sync') continue;
            moved = true;
            const receipt = rounds[band]!.receive(docs[band]!.doc, item.from, item.round, item.message);
            if (receipt.answerNow) rounds[band]!.send(docs[band]!.doc, item.from, 0);
            else deferred++;
          }
        }
      }
      return deferred;
    };
    return { net, inbox, docs, rounds, deliver };
  }

  test('a round that repairs a missing change is answered at once until repaired; a steady one waits for the tick', async () => {
    const { docs, rounds, deliver } = pair();
    const [a, b] = docs as [NodeState, NodeState];
    // node1 writes; node2 never heard the push.
    batch(a, ['lost']);
    rounds[0]!.tick(a.doc, 0);
    await deliver();
    assert.deepEqual(b.doc.keys(), ['lost']);

    // Both hold the same changes; a write reaches node2 by its push. The next tick's message brings nothing new: not answered at once.
    b.doc.applyPeerChanges([batch(a, ['pushed'])]);
    rounds[0]!.tick(a.doc, 0);
    assert.equal(await deliver(), 1);
    assert.deepEqual(b.doc.keys(), ['lost', 'pushed']);
  });

  test('a tick runs no round while pushes keep both sides current: the peer\'s recent push left this member holding all it had, and the peer stored ours', async () => {
    const node1 = memberOf(0);
    /** Node2 got node1's push at 0 (`current`: it holds node1's heads); ticks at `nowMs`; answers how many messages node1 got. */
    const tickAfterPush = async (current: boolean | undefined, nowMs: number, holdsOurs = true): Promise<number> => {
      const { net, inbox, docs, rounds } = pair(() => holdsOurs);
      const [a, b] = docs as [NodeState, NodeState];
      b.doc.applyPeerChanges([batch(a, ['x'])]);
      if (current !== undefined) rounds[1]!.pushesApplied(node1, current, a.doc.heads(), 0);
      rounds[1]!.tick(b.doc, nowMs);
      await net.settle();
      return inbox[0]!.length;
    };
    assert.equal(await tickAfterPush(true, 10), 0);
    assert.equal(await tickAfterPush(false, 10), 1);
    assert.equal(await tickAfterPush(undefined, 10), 1, 'no push yet: a round');
    assert.equal(await tickAfterPush(true, 400), 1, 'no push for the silence interval: a round');
    assert.equal(await tickAfterPush(true, 10, false), 1, 'the peer has not stored what this member pushed: a round');
  });

  test('a round under way ends at a tick once pushes keep both sides current; the stored state is then the pushed heads', async () => {
    const { net, inbox, docs, rounds, deliver } = pair();
    const [a, b] = docs as [NodeState, NodeState];
    const node1 = memberOf(0);
    batch(a, ['lost']);
    rounds[0]!.tick(a.doc, 0);
    await deliver();
    assert.deepEqual(b.doc.keys(), ['lost']);
    // Node1 writes on; its push reaches node2, whose round with node1 is still under way.
    b.doc.applyPeerChanges([batch(a, ['pushed'])]);
    rounds[1]!.pushesApplied(node1, true, a.doc.heads(), 0);
    rounds[1]!.tick(b.doc, 10);
    await net.settle();
    assert.equal(inbox[0]!.length, 0, 'no message: the round ended');
    const [stored] = rounds[1]!.toStore(10);
    assert.deepEqual(Buffer.from(stored!.state), Buffer.from(encodedPeerSyncOfHeads(a.doc.heads())));
  });
});
