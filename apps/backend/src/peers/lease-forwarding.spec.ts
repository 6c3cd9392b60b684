import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSubjects, codecs } from '@eckd/change-codec';
import type { Proposal, ProposeRequest } from '@eckd/change-codec';
import { MemoryNetwork, createLogger } from '@eckd/service-kit';
import type { Messenger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import { LeaseForwarding } from './lease-forwarding.js';
import type { LeaseForwardingOptions } from './lease-forwarding.js';
import type { PeerMember } from './peer-link.js';

const log = createLogger('lease-forwarding-spec', { level: 'error' });
const subjects = clusterSubjects('t');
const memberOf = (name: string, band: number): PeerMember => ({ name, band, id: String(nodeIdentity('c', name).member_id) });
const [owner, asker] = [memberOf('node1', 0), memberOf('node2', 1)];
/** The owner's lease, as the asker's document names it. */
const ownersLease = '100';

function forwarding(messenger: Messenger, self: PeerMember, other: PeerMember, overrides: Partial<LeaseForwardingOptions> = {}): LeaseForwarding {
  return new LeaseForwarding({
    messenger,
    subjects,
    identity: nodeIdentity('c', self.name),
    self,
    limits: { forwardsMax: 10, timeoutMs: 2_000 },
    ownerOf: (id) => (self === asker && id === ownersLease ? owner : undefined),
    peer: (id) => (id === other.id ? other : undefined),
    hasLeaseRecord: () => false,
    revision: () => 42,
    staleAuth: () => undefined,
    log,
    ...overrides,
  });
}

const keepAlive = (id: number, lease: string): Proposal => ({ id, op: 'lease_keep_alive', lease_keep_alive: { ID: lease } });
const request = (proposals: Proposal[]): ProposeRequest => ({ frontend_id: 'f', proposals, deadline_ms: Date.now() + 2_000 });

/** An owner that answers every keep-alive with TTL 7 at its revision 5, as its apply loop would. */
function serveKeepAlives(messenger: Messenger): string[] {
  const asked: string[] = [];
  forwarding(messenger, owner, asker).serve((msg, req) => {
    asked.push(...req.proposals.map((p) => String(p.id)));
    msg.respond(codecs.proposeReply.encode({ results: req.proposals.map((p) => ({ id: p.id, revision: 5, result: 'lease_keep_alive' as const, lease_keep_alive: { ID: p.lease_keep_alive!.ID, TTL: 7 } })) }));
  });
  return asked;
}

describe('lease forwarding', () => {
  test("a peer's lease operations go to the owner in one request; the rest stays; answers carry this member's revision", async () => {
    const net = new MemoryNetwork();
    const asked = serveKeepAlives(net.messenger());
    const fwd = forwarding(net.messenger(), asker, owner);
    assert.equal(fwd.split(request([keepAlive(1, '7')])), undefined, 'no peer lease: nothing forwarded');
    const routed = fwd.split(request([keepAlive(1, ownersLease), { id: 2, op: 'request', request: {} }, keepAlive(3, ownersLease)]))!;
    assert.deepEqual(routed.local?.proposals.map((p) => p.id), [2]);
    const results = await routed.forwarded;
    assert.deepEqual(asked, ['1', '3']);
    assert.deepEqual(results.map((r) => [String(r.id), String(r.revision), r.lease_keep_alive?.TTL]), [['1', '42', '7'], ['3', '42', '7']]);
  });

  test('the owner refuses any other operation and answers no stranger', async () => {
    const net = new MemoryNetwork();
    const asked = serveKeepAlives(net.messenger());
    const forger = net.messenger();
    const forwardOf = (from: string, proposals: Proposal[]) =>
      codecs.leaseForward.encode({ cluster_id: nodeIdentity('c', 'node2').cluster_id, from, request: request(proposals) });
    const refused = codecs.proposeReply.decode((await forger.request(subjects.lease('node1'), forwardOf(asker.id, [{ id: 1, op: 'lease_grant', lease_grant: { TTL: '5' } }]), { timeoutMs: 1_000 })).data);
    assert.equal(refused.error?.name, 'NotCapable');
    await assert.rejects(forger.request(subjects.lease('node1'), forwardOf(memberOf('node9', 9).id, [keepAlive(1, ownersLease)]), { timeoutMs: 200 }));
    assert.deepEqual(asked, []);
  });

  test("an owner that does not answer: etcd's timeout; beyond ECKD_LEASE_FORWARDS_MAX: too many requests; a stale auth check: refused here", async () => {
    const net = new MemoryNetwork();
    net.hold((e) => e.subject === subjects.lease('node1'));
    const fwd = forwarding(net.messenger(), asker, owner, { limits: { forwardsMax: 1, timeoutMs: 2_000 }, staleAuth: (p) => (p.lease_revoke ? 'checked at auth revision 1, now 2' : undefined) });
    const silent = fwd.split({ frontend_id: 'f', proposals: [keepAlive(1, ownersLease)], deadline_ms: Date.now() + 300 })!;
    const over = await fwd.split(request([keepAlive(2, ownersLease)]))!.forwarded;
    assert.deepEqual(over.map((r) => r.error?.name), ['TooManyRequests']);
    assert.deepEqual((await silent.forwarded).map((r) => r.error?.name), ['Timeout']);
    const stale = await fwd.split(request([{ id: 3, op: 'lease_revoke', lease_revoke: { ID: ownersLease } }]))!.forwarded;
    assert.deepEqual(stale.map((r) => r.error?.name), ['AuthOldRevision']);
  });
});
