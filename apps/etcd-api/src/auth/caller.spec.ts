// Who a gRPC call's caller is (etcd's AuthInfoFromCtx, then AuthInfoFromTLS):
// the token, the verified certificate's common name beside it, and no
// common name for a call a grpc-gateway proxied.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { callerOf } from './caller.js';

function call(entries: Record<string, string>, commonName: string | undefined) {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  const sslPeerCertificate = commonName === undefined ? undefined : ({ subject: { CN: commonName }, raw: Buffer.from('x') } as unknown as PeerCertificate);
  return { metadata, getAuthContext: () => (sslPeerCertificate ? { transportSecurityType: 'ssl', sslPeerCertificate } : {}) };
}

describe('callerOf', () => {
  test('the token of metadata token, or authorization with or without Bearer', () => {
    assert.deepEqual(callerOf(call({ token: 't1' }, undefined)), { token: 't1' });
    assert.deepEqual(callerOf(call({ authorization: 'Bearer t2' }, undefined)), { token: 't2' });
    assert.deepEqual(callerOf(call({ authorization: 't3' }, undefined)), { token: 't3' });
    assert.deepEqual(callerOf(call({}, undefined)), {});
  });

  test('a verified certificate gives its common name, beside a token if there is one', () => {
    assert.deepEqual(callerOf(call({}, 'alice')), { commonName: 'alice' });
    assert.deepEqual(callerOf(call({ token: 't1' }, 'alice')), { token: 't1', commonName: 'alice' });
  });

  test('a call proxied by a grpc-gateway (metadata grpcgateway-accept) has no common name', () => {
    assert.deepEqual(callerOf(call({ 'grpcgateway-accept': 'application/json' }, 'alice')), {});
    assert.deepEqual(callerOf(call({ 'grpcgateway-accept': 'application/json', token: 't1' }, 'alice')), { token: 't1' });
  });
});
