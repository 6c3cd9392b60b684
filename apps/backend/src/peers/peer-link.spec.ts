import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSubjects, codecs } from '@eckd/change-codec';
import { MemoryNetwork, createLogger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import { PeerLink } from './peer-link.js';
import type { PeerItem, PeerMember } from './peer-link.js';

const log = createLogger('peer-link-spec', { level: 'error' });
const subjects = clusterSubjects('t');
const memberOf = (cluster: string, name: string, band: number): PeerMember => ({ name, band, id: String(nodeIdentity(cluster, name).member_id) });
const directoryOf = (members: PeerMember[]) => ({ peer: (id: string) => members.find((m) => m.id === id) });

describe('peer link', () => {
  test('delivers a member of its cluster; drops and counts another cluster, an unknown member, a bad message; ignores its own pushes', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [memberOf('c', 'node1', 0), memberOf('c', 'node2', 1)];
    const identityOf = (name: string) => nodeIdentity('c', name);
    const linkA = new PeerLink({ messenger: net.messenger(), subjects, identity: identityOf('node1'), self: a, peers: directoryOf([b]), log });
    const linkB = new PeerLink({ messenger: net.messenger(), subjects, identity: identityOf('node2'), self: b, peers: directoryOf([a]), log });
    const atA: PeerItem[] = [];
    linkA.start((item) => atA.push(item));
    linkB.start(() => undefined);

    const change = new Uint8Array([1, 2, 3]);
    linkA.pushChanges([change], []);
    linkB.pushChanges([change], []);
    linkB.sendSync(a, 7, new Uint8Array([9]));
    const forger = net.messenger();
    const foreign = nodeIdentity('other', 'node2');
    forger.publish(subjects.changes, codecs.peerChanges.encode({ cluster_id: foreign.cluster_id, origin: foreign.member_id, changes: [change], heads: [] }));
    const stranger = nodeIdentity('c', 'node9');
    forger.publish(subjects.sync('node1'), codecs.peerSync.encode({ cluster_id: stranger.cluster_id, from: stranger.member_id, round: 1, message: new Uint8Array([1]) }));
    forger.publish(subjects.changes, new Uint8Array([0xff, 0xff]));

    await net.settle();
    assert.deepEqual(
      atA.map((i) => `${i.kind} from ${i.from.name}`),
      ['changes from node2', 'sync from node2'],
    );
    assert.equal(atA[1]?.kind === 'sync' && atA[1].round, '7');
    assert.deepEqual(linkA.dropped, { foreignCluster: 1, unknownMember: 1 });
    linkA.stop();
    linkB.stop();
  });

  test('follows its directory: a member that leaves it is dropped from then on', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [memberOf('c', 'node1', 0), memberOf('c', 'node2', 1)];
    const peersOfA = [b];
    const linkA = new PeerLink({ messenger: net.messenger(), subjects, identity: nodeIdentity('c', 'node1'), self: a, peers: directoryOf(peersOfA), log });
    const linkB = new PeerLink({ messenger: net.messenger(), subjects, identity: nodeIdentity('c', 'node2'), self: b, peers: directoryOf([a]), log });
    const atA: PeerItem[] = [];
    linkA.start((item) => atA.push(item));
    linkB.pushChanges([new Uint8Array([1])], []);
    await net.settle();
    peersOfA.pop();
    linkB.pushChanges([new Uint8Array([2])], []);
    await net.settle();
    assert.equal(atA.length, 1);
    assert.deepEqual(linkA.dropped, { foreignCluster: 0, unknownMember: 1 });
    assert.equal(linkA.peer(b.id), undefined);
    linkA.stop();
    linkB.stop();
  });
});
