// etcd's gRPC errors, code and message byte-for-byte as etcd sends them
// (etcd api/v3rpc/rpctypes/error.go). clientv3 and
// kube-apiserver recognise errors by exact message text, so never reword.
import { status } from '@grpc/grpc-js';

export interface RpcError {
  readonly code: status;
  readonly message: string;
}

const e = (code: status, message: string): RpcError => Object.freeze({ code, message });
const { INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, NOT_FOUND, FAILED_PRECONDITION } = status;
const { CANCELLED, PERMISSION_DENIED, UNAUTHENTICATED, UNAVAILABLE, DATA_LOSS, DEADLINE_EXCEEDED } = status;

export const rpcErrors = Object.freeze({
  EmptyKey: e(INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  KeyNotFound: e(INVALID_ARGUMENT, 'etcdserver: key not found'),
  ValueProvided: e(INVALID_ARGUMENT, 'etcdserver: value is provided'),
  LeaseProvided: e(INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  TooManyOps: e(INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  DuplicateKey: e(INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  InvalidClientAPIVersion: e(INVALID_ARGUMENT, 'etcdserver: invalid client api version'),
  InvalidSortOption: e(INVALID_ARGUMENT, 'etcdserver: invalid sort option'),
  Compacted: e(OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  FutureRev: e(OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  NoSpace: e(RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),

  LeaseNotFound: e(NOT_FOUND, 'etcdserver: requested lease not found'),
  LeaseExist: e(FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  LeaseTTLTooLarge: e(OUT_OF_RANGE, 'etcdserver: too large lease TTL'),

  WatchCanceled: e(CANCELLED, 'etcdserver: watch canceled'),

  MemberExist: e(FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  PeerURLExist: e(FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  MemberNotEnoughStarted: e(
    FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ),
  MemberBadURLs: e(INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  MemberNotFound: e(NOT_FOUND, 'etcdserver: member not found'),
  MemberNotLearner: e(FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  LearnerNotReady: e(
    FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ),
  TooManyLearners: e(FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  ClusterIDMismatch: e(FAILED_PRECONDITION, 'etcdserver: cluster ID mismatch'),

  RequestTooLarge: e(INVALID_ARGUMENT, 'etcdserver: request is too large'),
  TooManyRequests: e(RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),

  RootUserNotExist: e(FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  RootRoleNotExist: e(FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  UserAlreadyExist: e(FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  UserEmpty: e(INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  UserNotFound: e(FAILED_PRECONDITION, 'etcdserver: user name not found'),
  RoleAlreadyExist: e(FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  RoleNotFound: e(FAILED_PRECONDITION, 'etcdserver: role name not found'),
  RoleEmpty: e(INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  AuthFailed: e(INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  PermissionNotGiven: e(INVALID_ARGUMENT, 'etcdserver: permission not given'),
  PermissionDenied: e(PERMISSION_DENIED, 'etcdserver: permission denied'),
  RoleNotGranted: e(FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  PermissionNotGranted: e(FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  AuthNotEnabled: e(FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  InvalidAuthToken: e(UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  InvalidAuthMgmt: e(INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  AuthOldRevision: e(INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),

  NoLeader: e(UNAVAILABLE, 'etcdserver: no leader'),
  NotLeader: e(FAILED_PRECONDITION, 'etcdserver: not leader'),
  LeaderChanged: e(UNAVAILABLE, 'etcdserver: leader changed'),
  NotCapable: e(FAILED_PRECONDITION, 'etcdserver: not capable'),
  Stopped: e(UNAVAILABLE, 'etcdserver: server stopped'),
  Timeout: e(UNAVAILABLE, 'etcdserver: request timed out'),
  TimeoutDueToLeaderFail: e(
    UNAVAILABLE,
    'etcdserver: request timed out, possibly due to previous leader failure',
  ),
  TimeoutDueToConnectionLost: e(UNAVAILABLE, 'etcdserver: request timed out, possibly due to connection lost'),
  TimeoutWaitAppliedIndex: e(
    UNAVAILABLE,
    'etcdserver: request timed out, waiting for the applied index took too long',
  ),
  Unhealthy: e(UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  Corrupt: e(DATA_LOSS, 'etcdserver: corrupt cluster'),
  NotSupportedForLearner: e(FAILED_PRECONDITION, 'etcdserver: rpc not supported for learner'),
  BadLeaderTransferee: e(FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),

  WrongDowngradeVersionFormat: e(INVALID_ARGUMENT, 'etcdserver: wrong downgrade target version format'),
  InvalidDowngradeTargetVersion: e(INVALID_ARGUMENT, 'etcdserver: invalid downgrade target version'),
  ClusterVersionUnavailable: e(FAILED_PRECONDITION, 'etcdserver: cluster version not found during downgrade'),
  DowngradeInProcess: e(FAILED_PRECONDITION, 'etcdserver: cluster has a downgrade job in progress'),
  NoInflightDowngrade: e(FAILED_PRECONDITION, 'etcdserver: no inflight downgrade job'),

  Canceled: e(CANCELLED, 'etcdserver: request canceled'),
  DeadlineExceeded: e(DEADLINE_EXCEEDED, 'etcdserver: context deadline exceeded'),
});

export type RpcErrorName = keyof typeof rpcErrors;

/**
 * The error names eckd's processes hand each other: etcd's table, plus
 * Unknown for an error etcd has no name for (answered as etcd answers any
 * unmapped error: gRPC UNKNOWN with the error's text), and ResponseTooLarge
 * for a reply over the send limit (answered as grpc-go's server does:
 * RESOURCE_EXHAUSTED with a text that carries the sizes).
 */
export type EtcdErrorName = RpcErrorName | 'Unknown' | 'ResponseTooLarge';

/** The table entry of a name that arrived as a string (from the wire); undefined if etcd has no such error. */
export function rpcErrorOf(name: string): RpcError | undefined {
  return Object.hasOwn(rpcErrors, name) ? rpcErrors[name as RpcErrorName] : undefined;
}

const nameByMessage: ReadonlyMap<string, RpcErrorName> = new Map(
  (Object.keys(rpcErrors) as RpcErrorName[]).map((name) => [rpcErrors[name].message, name]),
);

/** The etcd error name for an exact etcd message, the way clientv3 maps errors back. */
export function rpcErrorNameOf(message: string): RpcErrorName | undefined {
  return nameByMessage.get(message);
}
