import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdMessageBytes } from './encoded-size.js';
import { varintBytes } from './varint.js';
import { etcdProtoRoot } from './proto-root.js';

describe('encoded size as Go writes it', () => {
  test('varints', () => {
    assert.deepEqual([0, 127, 128, 16383, 16384, 2 ** 21].map(varintBytes), [1, 1, 2, 2, 3, 4]);
    assert.equal(varintBytes(-1), 10);
    assert.equal(varintBytes(2n ** 63n), 10);
  });

  test('default scalars are left out, unlike protobufjs output', () => {
    const put = { key: Buffer.from('k'), value: Buffer.from('v'), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false };
    assert.equal(etcdMessageBytes('etcdserverpb.PutRequest', put), 6);
    const type = etcdProtoRoot().lookupType('etcdserverpb.PutRequest');
    assert.ok(type.encode(type.fromObject(put)).finish().length > 6, 'protobufjs writes the zeros');
  });

  test('nested messages, repeated fields and a oneof member at its default', () => {
    const txn = {
      compare: [{ result: 'EQUAL', target: 'MOD', key: Buffer.from('k'), target_union: 'mod_revision', mod_revision: '0' }],
      success: [{ request: 'request_put', request_put: { key: Buffer.from('k'), value: Buffer.alloc(300) } }],
      failure: [],
    };
    // compare: result EQUAL (0) left out; target MOD (2): 2; key: 3; mod_revision 0 in the oneof: 2 → 1+1+7 = 9
    // success: put = key 3 + value (1+2+300) = 306 → op = 1+2+306 = 309 → 1+2+309 = 312
    assert.equal(etcdMessageBytes('etcdserverpb.TxnRequest', txn), 9 + 312);
  });
});
