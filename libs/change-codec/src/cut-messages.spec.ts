import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cutCodecs } from './cut-messages.js';
import type { CutProposal, CutRequest } from './cut-messages.js';
import { nodePermissions } from './permissions.js';
import { clusterSubjects, nodeSubjects } from './subjects.js';
import { messageLimits, validators } from './validate.js';

const hash = (c: string) => c.repeat(64);
const proposal: CutProposal = { lineage: hash('a'), cut: '3', heads: [hash('b'), hash('c')], floor_excluded: ['18446744073709551615'], proposer: '2' };
const ballot = { round: '1', member: '2' };
const request = (op: Partial<CutRequest>): CutRequest => ({ cluster_id: '1', from: '2', lineage: hash('a'), cut: '3', ...op });

describe('cut messages', () => {
  test('each step of the agreement round-trips and names its operation', () => {
    for (const [op, body] of [
      ['prepare', { prepare: { ballot } }],
      ['accept', { accept: { ballot, proposal } }],
      ['decided', { decided: { proposal } }],
      ['status', { status: {} }],
    ] as const) {
      const decoded = cutCodecs.cutRequest.decode(cutCodecs.cutRequest.encode(request(body)));
      assert.equal(decoded.op, op);
      assert.equal(validators.cutRequest(decoded), undefined, op);
    }
    const accepted = cutCodecs.cutRequest.decode(cutCodecs.cutRequest.encode(request({ accept: { ballot, proposal } })));
    assert.deepEqual(accepted.accept?.proposal, proposal);
  });

  test('a bad cut request is refused: no operation, no ballot, a proposal for another cut, bad heads or ids', () => {
    const bad: CutRequest[] = [
      request({}),
      request({ from: '0', prepare: { ballot } }),
      request({ lineage: 'x', prepare: { ballot } }),
      request({ cut: '0', prepare: { ballot } }),
      request({ prepare: { ballot: { round: '0', member: '2' } } }),
      request({ prepare: { ballot: null } }),
      request({ accept: { ballot, proposal: { ...proposal, cut: '4' } } }),
      request({ accept: { ballot, proposal: { ...proposal, heads: [] } } }),
      request({ accept: { ballot, proposal: { ...proposal, heads: ['not a hash'] } } }),
      request({ decided: { proposal: { ...proposal, heads: Array.from({ length: messageLimits.headsMax + 1 }, () => hash('d')) } } }),
      request({ decided: { proposal: { ...proposal, floor_excluded: ['0'] } } }),
    ];
    for (const [i, m] of bad.entries()) {
      const decoded = cutCodecs.cutRequest.decode(cutCodecs.cutRequest.encode(m));
      assert.ok(validators.cutRequest(decoded), `case ${i} passed`);
    }
  });

  test('replies, base chunks and notices round-trip and are checked', () => {
    const reply = { ok: true, promised: ballot, accepted: { ballot, proposal }, lineage: hash('e'), cut: '2' };
    const decoded = cutCodecs.cutReply.decode(cutCodecs.cutReply.encode(reply));
    assert.deepEqual(decoded.accepted, reply.accepted);
    assert.equal(validators.cutReply(decoded), undefined);
    assert.ok(validators.cutReply({ ...decoded, lineage: 'nope' }));
    const refused = cutCodecs.cutReply.decode(cutCodecs.cutReply.encode({ ok: false, lineage: '', cut: '0', error: { name: 'Unknown', message: 'busy' } }));
    assert.equal(validators.cutReply(refused), undefined);

    assert.equal(validators.cutBaseRequest({ cluster_id: '1', from: '2', lineage: hash('a') }), undefined);
    assert.ok(validators.cutBaseRequest({ cluster_id: '1', from: '2', lineage: '' }));
    const chunk = { index: 3, done: true, base: new Uint8Array([1, 2, 3]), seqs_in_cut: [{ actor: 'ab'.repeat(16), seq: '7' }], proposal };
    const chunkBack = cutCodecs.cutBaseChunk.decode(cutCodecs.cutBaseChunk.encode(chunk));
    assert.deepEqual(Buffer.from(chunkBack.base), Buffer.from(chunk.base));
    assert.deepEqual(chunkBack.seqs_in_cut, chunk.seqs_in_cut);
    assert.equal(validators.cutBaseChunk(chunkBack), undefined);
    assert.ok(validators.cutBaseChunk({ ...chunkBack, base: new Uint8Array(messageLimits.cutBaseChunkBytesMax + 1) }));
    assert.ok(validators.cutBaseChunk({ ...chunkBack, seqs_in_cut: [{ actor: 'xyz', seq: '1' }] }));

    const notice = { cluster_id: '1', from: '2', lineage: hash('f'), cut: '5' };
    assert.deepEqual(cutCodecs.cutNotice.decode(cutCodecs.cutNotice.encode(notice)), notice);
    assert.equal(validators.cutNotice(notice), undefined);
    assert.ok(validators.cutNotice({ ...notice, cut: '0' }));
  });

  test('the cut subjects are under the peers subjects the backend already may use', () => {
    const cluster = clusterSubjects('eckd');
    assert.deepEqual([cluster.cut('node2'), cluster.cutBase('node2'), cluster.cutNotice('node2')], ['eckd.peers.node2.cut.v1', 'eckd.peers.node2.cut-base.v1', 'eckd.peers.node2.cut-notice.v1']);
    const backend = nodePermissions(nodeSubjects({ prefix: 'eckd', node: 'node1' }), cluster).backend;
    for (const list of [backend.publish, backend.subscribe]) assert.ok(list.includes(cluster.all));
  });
});
