import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridClock, createKvDocument, createPeerSync, encodePeerSync, originalLineage } from '@eckd/automerge-doc';
import { LeaseStore } from '@eckd/mvcc';
import { MemoryNetwork, createLogger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import type { NodeState } from '../write-application.js';
import { applyWrite } from '../write-application.js';
import { bandFirstRevision, emptyStoreOfBand } from './peer-config.js';
import type { PeerMember } from './peer-link.js';
import { PeerReplication } from './replication.js';
import { fetchSnapshot, snapshotSources, startStateOf } from './snapshot-join.js';
import { quietPeerConfig } from './test-peer-config.js';
import { SnapshotAssembler, SnapshotStreamError, snapshotChunks } from './snapshot-stream.js';
import type { PeerSnapshot } from './snapshot-stream.js';

const log = createLogger('snapshot-join-spec', { level: 'error' });
const prefix = 't';
const names = ['node1', 'node2', 'node3'];
const memberOf = (band: number): PeerMember => ({ name: names[band]!, band, id: String(nodeIdentity('c', names[band]!).member_id) });
const heads = ['a'.repeat(64), 'b'.repeat(64)];

function assembled(snapshot: PeerSnapshot, chunkBytes: number, bytesMax = 1024): PeerSnapshot {
  const assembler = new SnapshotAssembler(bytesMax);
  for (const chunk of snapshotChunks(snapshot, chunkBytes)) assembler.accept(chunk);
  return assembler.finish();
}

describe('snapshot stream', () => {
  const snapshot: PeerSnapshot = { document: Buffer.from('0123456789'), heads, peerSyncStates: [{ member: '7', state: Buffer.from([0x43, 0]) }], lineage: { id: 'c'.repeat(64), cut: 2 } };

  test('chunks of at most the chunk size, the header on the first; reassembled whole', () => {
    const chunks = [...snapshotChunks(snapshot, 4)];
    assert.deepEqual(chunks.map((c) => [c.index, c.done, c.document.length, c.heads.length, Number(c.document_bytes)]), [[0, false, 4, 2, 10], [1, false, 4, 0, 0], [2, true, 2, 0, 0]]);
    const whole = assembled(snapshot, 4);
    assert.deepEqual([Buffer.from(whole.document).toString(), whole.heads, whole.peerSyncStates.map((s) => s.member), whole.lineage], ['0123456789', heads, ['7'], snapshot.lineage]);
    assert.deepEqual(assembled({ ...snapshot, lineage: originalLineage }, 4).lineage, originalLineage);
    assert.equal(assembled(snapshot, 100).document.length, 10);
  });

  test('a chunk out of order, more or fewer bytes than announced, a size over the bound or an error chunk end the stream', () => {
    const chunks = [...snapshotChunks(snapshot, 4)];
    const take = (list: typeof chunks, bytesMax = 1024) => {
      const assembler = new SnapshotAssembler(bytesMax);
      for (const c of list) assembler.accept(c);
      return assembler.finish();
    };
    assert.throws(() => take([chunks[0]!, chunks[2]!]), /chunk 2 arrived, expected 1/);
    assert.throws(() => take(chunks.slice(0, 2)), /ended after 2 chunks, before its last one/);
    assert.throws(() => take([chunks[0]!, chunks[1]!, { ...chunks[2]!, document: Buffer.from('xyz') }]), /more than the 10 bytes announced/);
    assert.throws(() => take([chunks[0]!, chunks[1]!, { ...chunks[2]!, document: Buffer.from('x') }]), /ended after 9 of 10 bytes/);
    assert.throws(() => take(chunks, 9), /10 bytes, more than ECKD_SNAPSHOT_BYTES_MAX \(9\)/);
    assert.throws(() => take([{ ...chunks[0]!, done: true, error: { name: 'TooManyRequests', message: 'etcdserver: too many requests' } }]), SnapshotStreamError);
  });
});

describe('whom a member with an empty database asks', () => {
  const cluster = { self: { ...memberOf(2), learner: true, peerUrls: [] }, members: [0, 1, 2].map((b) => ({ ...memberOf(b), learner: false, removed: b === 1, peerUrls: [] })) };
  test('a joining node its join member, as many times as the attempts; a late member each other member once; none with 0 attempts', () => {
    assert.deepEqual(snapshotSources({ state: 'existing', join: 'node1', peerUrl: 'http://x:1' }, cluster, 3).map((m) => m.name), ['node1', 'node1', 'node1']);
    assert.deepEqual(snapshotSources({ state: 'new', members: names, band: 2 }, cluster, 3).map((m) => m.name), ['node1']);
    assert.deepEqual(snapshotSources({ state: 'existing', join: 'node1', peerUrl: 'http://x:1' }, cluster, 0), []);
  });
});

const config = quietPeerConfig(names);

/** node1 holding `keys` keys written in batches of ten, serving snapshots on `net`. */
function servingMember(net: MemoryNetwork, keys: number, snapshot = config.snapshot): { state: NodeState; stop: () => void } {
  const state: NodeState = { store: emptyStoreOfBand(0), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => 0, clock: new HybridClock(1n, () => 1_000) };
  for (let k = 0; k < keys; k += 10) {
    for (let j = k; j < Math.min(keys, k + 10); j++) applyWrite(state, { patches: [], compactRevision: undefined }, { put: { key: Buffer.from(`k${j}`), value: Buffer.from(`v${j}`) } });
    state.doc.commit({ member: BigInt(memberOf(0).id), revision: BigInt(state.store.revision) });
  }
  const replication = new PeerReplication({
    messenger: net.messenger(),
    subjectPrefix: prefix,
    nodeName: 'node1',
    members: [0, 1, 2].map(memberOf),
    self: memberOf(0),
    identity: nodeIdentity('c', 'node1'),
    config: { ...config, snapshot },
    state,
    // node1 shares its first heads with node2.
    persistedSyncStates: new Map([[memberOf(1).id, encodePeerSync(createPeerSync())]]),
    wake: () => undefined,
    log,
  });
  replication.start();
  return { state, stop: () => replication.stop() };
}

describe('serving and taking a snapshot', () => {
  test("node3 takes node1's document: same keys as its first revision in its band, its rounds start from the heads, node1's revision held", async () => {
    const net = new MemoryNetwork();
    const node1 = servingMember(net, 2_000);
    const snapshot = await fetchSnapshot({ messenger: net.messenger(), subjectPrefix: prefix, identity: nodeIdentity('c', 'node3'), limits: { ...config.snapshot, bytesMax: 1024 * 1024 } }, memberOf(0));
    assert.deepEqual([...snapshot.heads].sort(), [...node1.state.doc.heads()].sort());
    assert.deepEqual(snapshot.peerSyncStates.map((s) => s.member), [memberOf(1).id], "node1's state with node2 (not with node3 itself)");

    const { start, patches } = startStateOf(snapshot, memberOf(2), memberOf(0));
    assert.equal(start.store.revision, bandFirstRevision(2) + 1);
    assert.deepEqual(patches.map((p) => [p.revision, p.events.length]), [[bandFirstRevision(2) + 1, 2_000]]);
    assert.equal(start.store.kvAt(Buffer.from('k1999'))?.value.toString(), 'v1999');
    assert.deepEqual(start.doc.keys(), node1.state.doc.keys());
    assert.deepEqual([...start.peerSyncStates.keys()].sort(), [memberOf(0).id, memberOf(1).id].sort());
    assert.deepEqual([...start.origins], [[memberOf(0).id, node1.state.store.revision]]);
    assert.deepEqual(snapshot.lineage, originalLineage);
    // A document on another lineage than the one announced is refused (the join then tries again or falls back).
    assert.throws(() => startStateOf({ ...snapshot, lineage: { id: 'c'.repeat(64), cut: 1 } }, memberOf(2), memberOf(0)), /is on lineage .* not on the c+ \(cut 1\) it announced/);
    node1.stop();
  });

  test('a document over ECKD_SNAPSHOT_BYTES_MAX is refused with etcd\'s error; an unknown member gets no answer', async () => {
    const net = new MemoryNetwork();
    const node1 = servingMember(net, 100, { ...config.snapshot, bytesMax: 1024 });
    const ask = (member: string, bytesMax = 1024 * 1024) =>
      fetchSnapshot({ messenger: net.messenger(), subjectPrefix: prefix, identity: nodeIdentity('c', member), limits: { ...config.snapshot, bytesMax, chunkTimeoutMs: 200 } }, memberOf(0));
    await assert.rejects(ask('node3'), /etcdserver: request is too large/);
    await assert.rejects(ask('stranger'), /no reply|timed out|timeout/i);
    node1.stop();
  });
});
