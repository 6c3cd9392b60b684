import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import type { Proposal, ProposeReply, ProposeRequest } from '@eckd/change-codec';
import type { Message } from '@eckd/service-kit';
import { gateProposals, proposalCost, refusedWhenCorrupt } from './maintenance-quota.js';

const put = (key: string, value: string) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } });
const del = (key: string) => ({ request_delete_range: { key: Buffer.from(key) } });

describe('proposal cost (etcd quota.go)', () => {
  test('puts cost their key, value and 256 bytes; a grant 64; deletes, reads and compaction nothing', () => {
    assert.equal(proposalCost({ id: 1, request: { request: 'request_put', ...put('ab', 'xyz') } }), 256 + 5);
    assert.equal(proposalCost({ id: 1, lease_grant: { TTL: '10' } }), 64);
    assert.equal(proposalCost({ id: 1, request: { request: 'request_delete_range', ...del('a') } }), 0);
    assert.equal(proposalCost({ id: 1, compaction: { revision: '3' } }), 0);
    assert.equal(proposalCost({ id: 1, lease_revoke: { ID: '5' } }), 0);
  });

  test('a txn costs the puts of its larger branch; deletes and nested txns nothing', () => {
    const txn = { success: [put('a', '1'), del('b')], failure: [put('c', '22'), put('d', '3')] };
    assert.equal(proposalCost({ id: 1, request: { request: 'request_txn', request_txn: txn } }), 2 * 256 + 5);
    const nested = { success: [{ request_txn: { success: [put('x', 'y')] } }, del('z')] };
    assert.equal(proposalCost({ id: 1, request: { request: 'request_txn', request_txn: nested } }), 0);
  });

  test('a corrupt node refuses writes, compaction, grants and revokes, not keep-alives', () => {
    assert.equal(refusedWhenCorrupt({ id: 1, compaction: {} }), true);
    assert.equal(refusedWhenCorrupt({ id: 1, lease_keep_alive: { ID: '1' } }), false);
  });
});

describe('gateProposals', () => {
  const request: ProposeRequest = {
    frontend_id: 'fe',
    proposals: [
      { id: 1, op: 'request', request: { request: 'request_put', ...put('a', '1') } },
      { id: 2, op: 'request', request: { request: 'request_delete_range', ...del('a') } },
    ],
  };
  const refuseCosts = (p: Proposal) => (proposalCost(p) > 0 ? ('NoSpace' as const) : undefined);

  function message(data: Uint8Array, replies: ProposeReply[]): Message {
    return { subject: 's', data, reply: 'r', header: () => undefined, respond: (payload) => void replies.push(codecs.proposeReply.decode(payload)) };
  }

  test('refused proposals are answered with the error, the rest go on, and one reply joins both', () => {
    const replies: ProposeReply[] = [];
    let forwarded: Message | undefined;
    gateProposals(message(codecs.proposeRequest.encode(request), replies), request, refuseCosts, 9, (m) => (forwarded = m));
    const inner = codecs.proposeRequest.decode(forwarded!.data);
    assert.deepEqual(inner.proposals.map((p) => p.id), ['2']);
    forwarded!.respond(codecs.proposeReply.encode({ results: [{ id: 2, revision: 10, result: 'response', response: {} }] }));
    assert.equal(replies.length, 1);
    const byId = new Map(replies[0]!.results.map((r) => [String(r.id), r]));
    assert.equal(byId.get('1')!.error!.name, 'NoSpace');
    assert.equal(byId.get('2')!.revision, '10');
  });

  test('all refused: answered at once; none refused: passed on untouched; a failed batch stays failed', () => {
    const replies: ProposeReply[] = [];
    const onlyPut = { ...request, proposals: [request.proposals[0]!] };
    gateProposals(message(codecs.proposeRequest.encode(onlyPut), replies), onlyPut, refuseCosts, 9, () => assert.fail('nothing to forward'));
    assert.equal(replies[0]!.results[0]!.error!.name, 'NoSpace');
    const msg = message(codecs.proposeRequest.encode(request), replies);
    let same: Message | undefined;
    gateProposals(msg, request, () => undefined, 9, (m) => (same = m));
    assert.equal(same, msg);
    let forwarded: Message | undefined;
    gateProposals(message(codecs.proposeRequest.encode(request), replies), request, refuseCosts, 9, (m) => (forwarded = m));
    forwarded!.respond(codecs.proposeReply.encode({ results: [], error: { name: 'Timeout', message: 'storage' } }));
    assert.deepEqual(replies[replies.length - 1]!.error, { name: 'Timeout', message: 'storage' });
  });
});
