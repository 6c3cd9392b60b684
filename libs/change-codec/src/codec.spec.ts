import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from './messages.js';
import { nodeSubjects } from './subjects.js';
import { chunkBySize } from './chunks.js';
import { WireDecodeError } from './wire.js';

describe('subjects', () => {
  test('one place builds every subject, versioned', () => {
    assert.deepEqual(nodeSubjects({ prefix: 'eckd', node: 'n1' }), {
      propose: 'eckd.n1.backend.propose.v1',
      readIndex: 'eckd.n1.backend.read-index.v1',
      sync: 'eckd.n1.backend.sync.v1',
      patch: 'eckd.n1.patch.v1',
      append: 'eckd.n1.persister.append.v1',
      load: 'eckd.n1.persister.load.v1',
    });
  });

  test('tokens that would change the subject shape are refused', () => {
    for (const bad of ['a.b', 'a*', '>', '', 'a b']) {
      assert.throws(() => nodeSubjects({ prefix: bad, node: 'n' }), /prefix/);
      assert.throws(() => nodeSubjects({ prefix: 'p', node: bad }), /node/);
    }
  });
});

describe('wire codecs', () => {
  test('a propose request carries etcd requests in the proto-loader object shape', () => {
    const bytes = codecs.proposeRequest.encode({
      frontend_id: 'fe-1',
      proposals: [
        { id: 7, op: 'request', request: { request: 'request_put', request_put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '0' } } },
      ],
    });
    const back = codecs.proposeRequest.decode(bytes);
    assert.equal(back.frontend_id, 'fe-1');
    const p = back.proposals[0]!;
    assert.equal(p.id, '7');
    assert.equal(p.op, 'request');
    const put = (p.request as { request: string; request_put: { key: Buffer; value: Buffer; lease: string; prev_kv: boolean } });
    assert.equal(put.request, 'request_put');
    assert.deepEqual(put.request_put.key, Buffer.from('k'));
    assert.equal(put.request_put.lease, '0');
    assert.equal(put.request_put.prev_kv, false);
  });

  test('golden bytes pin the field numbers of an append request', () => {
    const bytes = codecs.appendRequest.encode({
      actor: Buffer.from([0xaa]),
      seq: 2,
      change: Buffer.from([0x01]),
      first_revision: 3,
      last_revision: 4,
      patch_batch: Buffer.from([0x05]),
      compacted: true,
      compact_revision: 9,
    });
    assert.equal(Buffer.from(bytes).toString('hex'), '0a01aa1002' + '1a0101' + '2003' + '2804' + '320105' + '3801' + '4009');
  });

  test('patch batches round-trip events with int64 as strings and enums as names', () => {
    const bytes = codecs.patchBatch.encode({
      patches: [{ revision: 5, events: [{ type: 'DELETE', kv: { key: Buffer.from('a'), mod_revision: 5 } }] }],
      identity: { cluster_id: '18446744073709551615', member_id: '1', raft_term: 2, epoch: 'e1' },
      compact_revision: -1,
    });
    const back = codecs.patchBatch.decode(bytes);
    assert.equal(back.patches[0]!.revision, '5');
    const ev = back.patches[0]!.events[0] as { type: string; kv: { mod_revision: string } };
    assert.equal(ev.type, 'DELETE');
    assert.equal(ev.kv.mod_revision, '5');
    assert.equal(back.identity!.cluster_id, '18446744073709551615');
    assert.equal(back.compact_revision, '-1');
  });

  test('malformed bytes are refused with a WireDecodeError', () => {
    assert.throws(() => codecs.proposeRequest.decode(Buffer.from([0x12, 0xff, 0xff])), WireDecodeError);
    assert.throws(() => codecs.appendRequest.decode(Buffer.from([0x0a, 0x05, 0x01])), WireDecodeError);
  });
});

describe('chunkBySize', () => {
  test('groups stay under the byte budget and the count cap; a huge item goes alone', () => {
    assert.deepEqual(chunkBySize([1, 2, 3, 4, 10, 1], (n) => n, 5), [[1, 2], [3], [4], [10], [1]]);
    assert.deepEqual(chunkBySize([1, 1, 1], (n) => n, 100, 2), [[1, 1], [1]]);
    assert.deepEqual(chunkBySize([], (n: number) => n, 5), []);
  });
});
