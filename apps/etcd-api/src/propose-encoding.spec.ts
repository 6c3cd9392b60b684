import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import type { Proposal } from '@eckd/change-codec';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { encodeProposeRequest } from './propose-encoding.js';
import { keepingRequestBytes, requestBytes } from './request-bytes.js';

/** A request as the gRPC server hands it to the KV handler: decoded from a client's bytes, which it remembers. */
function fromClient(method: 'Put' | 'DeleteRange' | 'Txn', request: object): object {
  const kv = keepingRequestBytes(loadEtcdGrpc().KV, ['Put', 'DeleteRange', 'Txn']);
  return kv[method].requestDeserialize(kv[method].requestSerialize(request as never)) as object;
}

/** What the generic encoder makes of the same proposals, decoded. */
function viaCodec(frontendId: string, deadlineMs: number, proposals: Proposal[]) {
  return codecs.proposeRequest.decode(codecs.proposeRequest.encode({ frontend_id: frontendId, deadline_ms: deadlineMs, proposals }));
}

describe('encodeProposeRequest', () => {
  test('client writes are embedded as they came and decode as the generic encoding does', () => {
    const put = fromClient('Put', { key: Buffer.from('k'), value: Buffer.alloc(256, 7), lease: '7587', prev_kv: true });
    const del = fromClient('DeleteRange', { key: Buffer.from('a'), range_end: Buffer.from('b') });
    const txn = fromClient('Txn', {
      compare: [{ key: Buffer.from('k'), target: 'MOD', result: 'EQUAL', mod_revision: '12' }],
      success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v') } }],
      failure: [{ request_range: { key: Buffer.from('k') } }],
    });
    assert.ok(requestBytes(put) && requestBytes(del) && requestBytes(txn));
    const proposals = [
      { id: 1, op: 'request', request: { request: 'request_put', request_put: put }, auth_revision: 3 },
      { id: 2, op: 'request', request: { request: 'request_delete_range', request_delete_range: del } },
      { id: 3, op: 'request', request: { request: 'request_txn', request_txn: txn }, auth_revision: 0 },
    ] as Proposal[];
    const deadline = Date.now() + 5_000;
    assert.deepEqual(codecs.proposeRequest.decode(encodeProposeRequest('frontend-1', deadline, proposals)), viaCodec('frontend-1', deadline, proposals));
  });

  test('proposals without client bytes (built here, leases, compaction) take the generic encoding', () => {
    const proposals = [
      { id: 4, op: 'request', request: { request: 'request_put', request_put: { key: Buffer.from('lock/1'), value: Buffer.alloc(0), lease: '9' } } },
      { id: 5, op: 'lease_grant', lease_grant: { TTL: '30', ID: '0' } },
      { id: 6, op: 'compaction', compaction: { revision: '42', physical: true }, auth_revision: 2 },
    ] as Proposal[];
    assert.deepEqual(codecs.proposeRequest.decode(encodeProposeRequest('f', 17, proposals)), viaCodec('f', 17, proposals));
  });
});
