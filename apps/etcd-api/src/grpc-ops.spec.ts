import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { decodeHealthRequest, encodeHealthResponse, servingStatus } from './grpc-health.js';
import { grpcCodeName } from './grpc-metrics.js';

describe('grpc ops', () => {
  test("grpc_code labels are Go's code names", () => {
    assert.equal(grpcCodeName(grpc.status.OK), 'OK');
    assert.equal(grpcCodeName(grpc.status.CANCELLED), 'Canceled');
    assert.equal(grpcCodeName(grpc.status.INVALID_ARGUMENT), 'InvalidArgument');
    assert.equal(grpcCodeName(grpc.status.DEADLINE_EXCEEDED), 'DeadlineExceeded');
    assert.equal(grpcCodeName(grpc.status.RESOURCE_EXHAUSTED), 'ResourceExhausted');
    assert.equal(grpcCodeName(grpc.status.UNIMPLEMENTED), 'Unimplemented');
  });

  test('grpc.health.v1 messages: service name decoded (unknown fields skipped), status encoded', () => {
    assert.deepEqual(decodeHealthRequest(Buffer.alloc(0)), { service: '' });
    assert.deepEqual(decodeHealthRequest(Buffer.from([0x10, 0x05, 0x0a, 0x02, 0x6b, 0x76])), { service: 'kv' });
    assert.deepEqual(encodeHealthResponse({ status: servingStatus.SERVING }), Buffer.from([0x08, 0x01]));
    assert.deepEqual(encodeHealthResponse({ status: servingStatus.UNKNOWN }), Buffer.alloc(0));
  });
});
