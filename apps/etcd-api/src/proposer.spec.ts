import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import type { ProposeReply, ProposeRequest } from '@eckd/change-codec';
import { MemoryNetwork } from '@eckd/service-kit';
import { quietLog, subjects } from '../test/fake-backend.js';
import { Proposer } from './proposer.js';

const put = { op: 'request' as const, request: { request: 'request_put' as const, request_put: { key: Buffer.from('k'), value: Buffer.from('v') } } };

/** A backend that records each ProposeRequest and answers with `answer` (no answer: undefined). */
function setUp(answer: (r: ProposeRequest) => ProposeReply | undefined, opts: { bytesMax?: number; proposalsMax?: number; timeoutMs?: number; pendingMax?: number } = {}) {
  const net = new MemoryNetwork();
  const requests: ProposeRequest[] = [];
  net.messenger().subscribe(subjects.propose, (m) => {
    const request = codecs.proposeRequest.decode(m.data);
    requests.push(request);
    const reply = answer(request);
    if (reply) m.respond(codecs.proposeReply.encode(reply));
  });
  const proposer = new Proposer({
    messenger: net.messenger(),
    subject: subjects.propose,
    frontendId: 'f1',
    timeoutMs: opts.timeoutMs ?? 1_000,
    bytesMax: opts.bytesMax ?? 1_000_000,
    proposalsMax: opts.proposalsMax,
    pendingMax: opts.pendingMax ?? 1_000,
    log: quietLog,
  });
  return { net, requests, proposer };
}

const allSucceed = (r: ProposeRequest): ProposeReply => ({ results: r.proposals.map((p, i) => ({ id: p.id, revision: 10 + i })) });

describe('proposer', () => {
  test('writes of one event-loop turn travel in one request, split by count and bytes', async () => {
    const { requests, proposer } = setUp(allSucceed, { proposalsMax: 3, bytesMax: 250 });
    const results = await Promise.all([100, 100, 100, 100, 10].map((bytes) => proposer.propose(put, bytes)));
    assert.deepEqual(results.map((r) => Number(r.revision)), [10, 11, 10, 11, 12]);
    assert.deepEqual(requests.map((r) => r.proposals.length), [2, 3], 'bytes bound the first group (300 > 250), the second is 210 bytes');
    assert.equal(requests[0]!.frontend_id, 'f1');
    await Promise.all([proposer.propose(put, 1)]);
    assert.equal(requests.length, 3, 'a later turn is a new request');
  });

  test("writes beyond pendingMax are refused with etcd's TooManyRequests until results come back", async () => {
    const { proposer } = setUp(allSucceed, { pendingMax: 2 });
    const first = [proposer.propose(put, 1), proposer.propose(put, 1)];
    await assert.rejects(proposer.propose(put, 1), { rpcName: 'TooManyRequests' });
    await Promise.all(first);
    await proposer.propose(put, 1); // room again once results are back
  });

  test("a result missing from the reply, no reply and no responders are etcd's Timeout", async () => {
    const partial = setUp((r) => ({ results: [{ id: r.proposals[0]!.id, revision: 5 }] }));
    const [first, second] = await Promise.allSettled([partial.proposer.propose(put, 1), partial.proposer.propose(put, 1)]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status, 'rejected');
    assert.equal((second as PromiseRejectedResult).reason.rpcName, 'Timeout');

    const silent = setUp(() => undefined, { timeoutMs: 50 });
    await assert.rejects(silent.proposer.propose(put, 1), { rpcName: 'Timeout' });

    const nobody = new MemoryNetwork();
    const alone = new Proposer({ messenger: nobody.messenger(), subject: subjects.propose, frontendId: 'f1', timeoutMs: 1_000, bytesMax: 1_000, pendingMax: 10, log: quietLog });
    await assert.rejects(alone.propose(put, 1), { rpcName: 'Timeout' });
  });

  test("the backend's error for the whole request fails each write with it", async () => {
    const { proposer } = setUp(() => ({ results: [], error: { name: 'NoSpace', message: 'etcdserver: mvcc: database space exceeded' } }));
    await assert.rejects(Promise.all([proposer.propose(put, 1), proposer.propose(put, 1)]), { rpcName: 'NoSpace' });
  });

  test('a reply that arrives late (held past the timeout) settles nothing twice', async () => {
    const { net, proposer } = setUp(allSucceed, { timeoutMs: 50 });
    net.hold((e) => e.subject.startsWith('_INBOX.'));
    await assert.rejects(proposer.propose(put, 1), { rpcName: 'Timeout' });
    net.release();
    await net.settle();
  });
});
