import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvDocument } from '@eckd/automerge-doc';
import { clusterSubjects } from '@eckd/change-codec';
import { MemoryNetwork, createLogger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import { PeerLink } from './peer-link.js';
import type { PeerMember } from './peer-link.js';
import { PeerSyncRounds } from './peer-sync.js';

const log = createLogger('peer-sync-spec', { level: 'error' });
const subjects = clusterSubjects('t');
const memberOf = (name: string, band: number): PeerMember => ({ name, band, id: String(nodeIdentity('c', name).member_id) });

describe('peer sync rounds', () => {
  test('follow the current peers: a peer that leaves gets no more rounds and no stored state; one that comes gets a round', async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = [memberOf('node1', 0), memberOf('node2', 1), memberOf('node3', 2)];
    let peers = [b];
    const link = new PeerLink({ messenger: net.messenger(), subjects, identity: nodeIdentity('c', 'node1'), self: a, peers: { peer: (id) => peers.find((p) => p.id === id) }, log });
    const heard = new Map<string, number>();
    const listener = net.messenger();
    for (const m of [b, c]) {
      listener.subscribe(subjects.sync(m.name), () => {
        heard.set(m.name, (heard.get(m.name) ?? 0) + 1);
      });
    }
    const rounds = new PeerSyncRounds({ peers: () => peers, link, timeoutMs: 1_000, storeIntervalMs: 0, persisted: new Map(), pushSilenceMs: 400, peerHoldsOurs: () => true, log });
    const doc = createKvDocument();
    doc.put('k', Buffer.from('v'), '0');
    doc.commit();

    rounds.tick(doc, 0);
    await net.settle();
    assert.deepEqual([...heard], [['node2', 1]]);
    assert.deepEqual(rounds.toStore(0).map((s) => s.member), [b.id]);

    peers = [c];
    rounds.tick(doc, 10);
    await net.settle();
    assert.deepEqual([...heard].sort(), [['node2', 1], ['node3', 1]]);
    assert.deepEqual(rounds.toStore(10).map((s) => s.member), [c.id], 'the removed peer\'s state is no longer stored');
  });
});
