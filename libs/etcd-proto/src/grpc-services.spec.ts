 
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from './grpc-services.js';
import type { EtcdGrpc } from './grpc-services.js';
import type { PutRequest__Output, PutResponse, PutResponse__Output } from './index.js';

type ServiceName = Exclude<keyof EtcdGrpc, 'packageDefinition' | 'grpcObject'>;
// Method -> [requestStream, responseStream]; unary unless listed.
const streaming: Record<string, [boolean, boolean]> = {
  Watch: [true, true],
  LeaseKeepAlive: [true, true],
  Snapshot: [false, true],
  Observe: [false, true],
};
const expectedMethods: Record<ServiceName, string[]> = {
  KV: ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact'],
  Watch: ['Watch'],
  Lease: ['LeaseGrant', 'LeaseRevoke', 'LeaseKeepAlive', 'LeaseTimeToLive', 'LeaseLeases'],
  Cluster: ['MemberAdd', 'MemberRemove', 'MemberUpdate', 'MemberList', 'MemberPromote'],
  Maintenance: ['Alarm', 'Status', 'Defragment', 'Hash', 'HashKV', 'Snapshot', 'MoveLeader', 'Downgrade'],
  Auth: [
    'AuthEnable', 'AuthDisable', 'AuthStatus', 'Authenticate',
    'UserAdd', 'UserGet', 'UserList', 'UserDelete', 'UserChangePassword', 'UserGrantRole', 'UserRevokeRole',
    'RoleAdd', 'RoleGet', 'RoleList', 'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission',
  ],
  Lock: ['Lock', 'Unlock'],
  Election: ['Campaign', 'Proclaim', 'Leader', 'Observe', 'Resign'],
  Conflicts: ['List'],
};
const grpcPackage: Record<ServiceName, string> = {
  KV: 'etcdserverpb', Watch: 'etcdserverpb', Lease: 'etcdserverpb', Cluster: 'etcdserverpb',
  Maintenance: 'etcdserverpb', Auth: 'etcdserverpb', Lock: 'v3lockpb', Election: 'v3electionpb',
  Conflicts: 'eckdserverpb',
};

describe('loadEtcdGrpc', () => {
  test('is memoised', () => {
    assert.equal(loadEtcdGrpc(), loadEtcdGrpc());
  });

  for (const [service, methods] of Object.entries(expectedMethods) as [ServiceName, string[]][]) {
    test(`${service} has exactly the etcd methods with the right streaming shape`, () => {
      const definition: grpc.ServiceDefinition = loadEtcdGrpc()[service];
      assert.deepEqual(Object.keys(definition).sort(), [...methods].sort());
      for (const method of methods) {
        const def = definition[method]!;
        assert.equal(def.path, `/${grpcPackage[service]}.${service}/${method}`);
        const [requestStream, responseStream] = streaming[method] ?? [false, false];
        assert.equal(def.requestStream, requestStream, `${method} requestStream`);
        assert.equal(def.responseStream, responseStream, `${method} responseStream`);
      }
    });
  }

  test('a real grpc-js server and client exchange decoded messages', async () => {
    const { KV, grpcObject } = loadEtcdGrpc();
    const server = new grpc.Server();
    server.addService(KV, {
      Put: (call: grpc.ServerUnaryCall<PutRequest__Output, PutResponse>, callback: grpc.sendUnaryData<PutResponse>) => {
        const { key, lease } = call.request;
        callback(null, { header: { revision: '9007199254740993' }, prev_kv: { key, lease, version: 1 } });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const client = new grpcObject.etcdserverpb.KV(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<PutResponse__Output | undefined>((resolve, reject) =>
        client.Put({ key: Buffer.from('k'), lease: '42' }, (err, res) => (err ? reject(err) : resolve(res))),
      );
      assert.deepEqual(response, {
        header: { cluster_id: '0', member_id: '0', revision: '9007199254740993', raft_term: '0' },
        prev_kv: {
          key: Buffer.from('k'), create_revision: '0', mod_revision: '0', version: '1', value: Buffer.alloc(0), lease: '42',
        },
      });
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
