import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { baseChangeHash, originalLineage } from '@eckd/automerge-doc';
import type { Lineage } from '@eckd/automerge-doc';
import { clusterSubjects, codecs } from '@eckd/change-codec';
import { NatsMessenger, createLogger } from '@eckd/service-kit';
import { startNatsServer, subjectPrefix, waitUntil } from '@eckd/testing';
import type { NatsServer } from '@eckd/testing';
import { nodeIdentity } from '../identity.js';
import { LineageGate } from './lineage-gate.js';
import { lineageOfStamp, stampOf } from './lineage-stamp.js';
import { PeerLink } from './peer-link.js';
import type { PeerItem, PeerMember } from './peer-link.js';

const log = createLogger('lineage-gate-spec', { level: 'error' });
const memberOf = (name: string, band: number): PeerMember => ({ name, band, id: String(nodeIdentity('c', name).member_id) });
const cutOne: Lineage = { id: 'c1'.repeat(32), cut: 1 };
const cutTwo: Lineage = { id: 'c2'.repeat(32), cut: 2 };
const otherCutOne: Lineage = { id: 'd1'.repeat(32), cut: 1 };

let server: NatsServer;
const connections: NatsConnection[] = [];

before(async () => {
  server = await startNatsServer({ jetstream: false });
});

after(async () => {
  for (const nc of connections) await nc.close();
  await server?.stop();
});

async function messenger(): Promise<NatsMessenger> {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return new NatsMessenger(nc, { log });
}

/** Two linked members on real NATS, each on the lineage its box holds. */
async function pair(lineages: { a: Lineage; b: Lineage }) {
  const subjects = clusterSubjects(subjectPrefix());
  const [a, b] = [memberOf('node1', 0), memberOf('node2', 1)];
  const linkOf = async (self: PeerMember, peer: PeerMember, own: () => Lineage) =>
    new PeerLink({ messenger: await messenger(), subjects, identity: nodeIdentity('c', self.name), self, peers: { peer: (id) => (id === peer.id ? peer : undefined) }, lineage: own, lineageNoticeIntervalMs: 60_000, log });
  const linkA = await linkOf(a, b, () => lineages.a);
  const linkB = await linkOf(b, a, () => lineages.b);
  const atA: PeerItem[] = [];
  const storedAtA: number[] = [];
  linkA.start((item) => atA.push(item), (_from, revision) => storedAtA.push(revision));
  linkB.start(() => undefined);
  await Promise.all(connections.map((nc) => nc.flush()));
  return { a, b, linkA, linkB, atA, storedAtA, stop: () => [linkA, linkB].forEach((l) => l.stop()) };
}

/** What B sends A: a push, a sync message and a storage acknowledgement. */
function sendAll(p: Awaited<ReturnType<typeof pair>>, n: number): void {
  p.linkB.pushChanges([new Uint8Array([n])], []);
  p.linkB.sendSync(p.a, n, new Uint8Array([n]));
  p.linkB.sendStored(p.a, n);
}

describe('lineage gate', () => {
  test('stamps: the original lineage travels empty (as before the field), any other as its id and number', () => {
    assert.deepEqual(stampOf(originalLineage), { lineage: '', lineage_cut: 0 });
    assert.deepEqual(lineageOfStamp({}), originalLineage);
    assert.deepEqual(lineageOfStamp({ lineage: '', lineage_cut: '0' }), { id: baseChangeHash, cut: 0 });
    assert.deepEqual(lineageOfStamp({ ...stampOf(cutTwo), lineage_cut: '2' }), cutTwo);
    // A sender from before the field (no lineage at all) reads as the original lineage.
    const bare = codecs.peerChanges.decode(codecs.peerChanges.encode({ cluster_id: '1', origin: '2', changes: [new Uint8Array([1])], heads: [] }));
    assert.deepEqual(lineageOfStamp(bare), originalLineage);
  });

  test('messages of the same lineage pass, the original one or a later one', async () => {
    for (const lineage of [originalLineage, cutOne]) {
      const p = await pair({ a: lineage, b: lineage });
      sendAll(p, 1);
      await waitUntil(() => p.atA.length === 2 && p.storedAtA.length === 1, 5_000, 'the push, the sync message and the acknowledgement at A');
      assert.deepEqual(p.atA.map((i) => i.kind), ['changes', 'sync']);
      assert.deepEqual(p.linkA.lineage.dropped, { older: 0, newer: 0, other: 0 });
      p.stop();
    }
  });

  test('an older sender is dropped and told the newer lineage, once per interval; it counts the notice', async () => {
    const p = await pair({ a: cutTwo, b: cutOne });
    sendAll(p, 1);
    sendAll(p, 2);
    await waitUntil(() => p.linkA.lineage.dropped.older === 6 && p.linkB.lineage.notices.received === 1, 5_000, 'six drops at A, one notice at B');
    assert.equal(p.atA.length + p.storedAtA.length, 0);
    assert.deepEqual(p.linkA.lineage.notices, { sent: 1, received: 0 });
    p.stop();
  });

  test('a newer sender, or another lineage of the same number, is dropped and counted without a notice', async () => {
    const newer = await pair({ a: cutOne, b: cutTwo });
    sendAll(newer, 1);
    await waitUntil(() => newer.linkA.lineage.dropped.newer === 3, 5_000, 'three newer drops at A');
    newer.stop();
    const other = await pair({ a: cutOne, b: otherCutOne });
    sendAll(other, 1);
    await waitUntil(() => other.linkA.lineage.dropped.other === 3, 5_000, 'three other drops at A');
    for (const p of [newer, other]) {
      assert.equal(p.atA.length + p.storedAtA.length, 0);
      assert.deepEqual(p.linkA.lineage.notices, { sent: 0, received: 0 });
      assert.equal(p.linkB.lineage.notices.received, 0);
    }
    other.stop();
  });

  test('the notice and the log are rate-limited per sender and reason', () => {
    const notices: string[] = [];
    let now = 0;
    const gate = new LineageGate({ own: () => cutTwo, intervalMs: 1_000, sendNotice: (to) => notices.push(to.name), log, now: () => now });
    const b = memberOf('node2', 1);
    const c = memberOf('node3', 2);
    for (let i = 0; i < 5; i++) assert.equal(gate.admits(b, stampOf(cutOne), 's'), false);
    assert.equal(gate.admits(c, stampOf(originalLineage), 's'), false);
    now = 1_000;
    assert.equal(gate.admits(b, stampOf(cutOne), 's'), false);
    assert.equal(gate.admits(b, stampOf(cutTwo), 's'), true);
    assert.deepEqual(notices, ['node2', 'node3', 'node2']);
    assert.deepEqual(gate.dropped, { older: 7, newer: 0, other: 0 });
  });
});
