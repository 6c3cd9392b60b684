import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { codecs } from '@eckd/change-codec';
import { KvError } from '@eckd/mvcc';
import { EtcdRpcError, toGrpcError } from './to-grpc-error.js';

describe('toGrpcError', () => {
  test('an etcd error name becomes etcd code and exact message', () => {
    const err = toGrpcError(new EtcdRpcError('NotCapable', 'backend: unreadable proposal'));
    assert.equal(err.code, status.FAILED_PRECONDITION);
    assert.equal(err.details, 'etcdserver: not capable');
    assert.equal(toGrpcError(new KvError('Compacted')).code, status.OUT_OF_RANGE);
  });

  test('a name from the wire that etcd does not have answers UNKNOWN with the text', () => {
    // Another version's backend may send a name this frontend's table lacks.
    const reply = codecs.proposeReply.decode(codecs.proposeReply.encode({ results: [], error: { name: 'InvalidArgument' as never, message: 'bad' } }));
    const err = toGrpcError(new EtcdRpcError(reply.error!.name, reply.error!.message));
    assert.equal(err.code, status.UNKNOWN);
    assert.equal(err.details, 'etcd-api: InvalidArgument: bad');
  });
});
