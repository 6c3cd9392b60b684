 
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { rpcErrors, rpcErrorNameOf } from './rpc-errors.js';
import type { RpcErrorName } from './rpc-errors.js';

// Names and codes from docs/ETCD-BEHAVIOUR.md §1.5 (etcd api/v3rpc/rpctypes/error.go).
const expectedCodes: Record<RpcErrorName, status> = {
  EmptyKey: 3, KeyNotFound: 3, ValueProvided: 3, LeaseProvided: 3, TooManyOps: 3, DuplicateKey: 3,
  InvalidClientAPIVersion: 3, InvalidSortOption: 3, Compacted: 11, FutureRev: 11, NoSpace: 8,
  LeaseNotFound: 5, LeaseExist: 9, LeaseTTLTooLarge: 11, WatchCanceled: 1,
  MemberExist: 9, PeerURLExist: 9, MemberNotEnoughStarted: 9, MemberBadURLs: 3, MemberNotFound: 5,
  MemberNotLearner: 9, LearnerNotReady: 9, TooManyLearners: 9, ClusterIDMismatch: 9,
  RequestTooLarge: 3, TooManyRequests: 8,
  RootUserNotExist: 9, RootRoleNotExist: 9, UserAlreadyExist: 9, UserEmpty: 3, UserNotFound: 9,
  RoleAlreadyExist: 9, RoleNotFound: 9, RoleEmpty: 3, AuthFailed: 3, PermissionNotGiven: 3,
  PermissionDenied: 7, RoleNotGranted: 9, PermissionNotGranted: 9, AuthNotEnabled: 9,
  InvalidAuthToken: 16, InvalidAuthMgmt: 3, AuthOldRevision: 3,
  NoLeader: 14, NotLeader: 9, LeaderChanged: 14, NotCapable: 9, Stopped: 14, Timeout: 14,
  TimeoutDueToLeaderFail: 14, TimeoutDueToConnectionLost: 14, TimeoutWaitAppliedIndex: 14,
  Unhealthy: 14, Corrupt: 15, NotSupportedForLearner: 9, BadLeaderTransferee: 9,
  WrongDowngradeVersionFormat: 3, InvalidDowngradeTargetVersion: 3, ClusterVersionUnavailable: 9,
  DowngradeInProcess: 9, NoInflightDowngrade: 9,
  Canceled: 1, DeadlineExceeded: 4,
};

describe('rpcErrors', () => {
  test('holds exactly the expected names, each with its gRPC code', () => {
    assert.deepEqual(Object.keys(rpcErrors).sort(), Object.keys(expectedCodes).sort());
    for (const [name, code] of Object.entries(expectedCodes)) {
      assert.equal(rpcErrors[name as RpcErrorName].code, code, name);
    }
  });

  test('messages are etcd-prefixed, unique and map back to their names', () => {
    for (const [name, { message }] of Object.entries(rpcErrors)) {
      assert.match(message, /^etcdserver: \S/, name);
      assert.equal(rpcErrorNameOf(message), name);
    }
    assert.equal(rpcErrorNameOf('election: no leader'), undefined);
  });

  test('a few messages byte for byte', () => {
    assert.deepEqual(rpcErrors.Compacted, { code: status.OUT_OF_RANGE, message: 'etcdserver: mvcc: required revision has been compacted' });
    assert.equal(rpcErrors.PeerURLExist.message, 'etcdserver: Peer URLs already exists');
    assert.equal(rpcErrors.AuthFailed.message, 'etcdserver: authentication failed, invalid user ID or password');
    assert.equal(rpcErrors.LeaseNotFound.message, 'etcdserver: requested lease not found');
  });

  test('is frozen all the way down', () => {
    assert.ok(Object.isFrozen(rpcErrors));
    assert.ok(Object.values(rpcErrors).every((entry) => Object.isFrozen(entry)));
  });
});
