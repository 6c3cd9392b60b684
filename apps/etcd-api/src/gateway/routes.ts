// etcd's grpc-gateway paths (the google.api.http options of etcd's
// rpc.proto, v3lock.proto and v3election.proto) and the gRPC method each
// calls. Every one is a POST with the request message as body.
export type RouteKind =
  /** one request, one response */
  | 'unary'
  /** one request, a stream of responses (Snapshot, Observe) */
  | 'server-stream'
  /** the body's JSON values are the requests, the answers stream back (Watch, LeaseKeepAlive) */
  | 'bidi';

export interface GatewayRoute {
  /** gRPC method path, e.g. /etcdserverpb.KV/Range */
  readonly method: string;
  /** fully qualified message names */
  readonly request: string;
  readonly response: string;
  readonly kind: RouteKind;
  /** bidi only: end the gRPC stream's sending side when the HTTP body ends (LeaseKeepAlive); a watch stays open until the client leaves */
  readonly halfCloseAtBodyEnd: boolean;
}

const rpc = (service: string, name: string, request: string, response: string, kind: RouteKind = 'unary', halfCloseAtBodyEnd = true): GatewayRoute => {
  const pkg = service.split('.')[0]!;
  return { method: `/${service}/${name}`, request: `${pkg}.${request}`, response: `${pkg}.${response}`, kind, halfCloseAtBodyEnd };
};

const kv = (name: string, request: string, response: string) => rpc('etcdserverpb.KV', name, request, response);
const lease = (name: string) => rpc('etcdserverpb.Lease', name, `${name}Request`, `${name}Response`);
const cluster = (name: string) => rpc('etcdserverpb.Cluster', name, `${name}Request`, `${name}Response`);
const maintenance = (name: string, request = `${name}Request`, response = `${name}Response`) => rpc('etcdserverpb.Maintenance', name, request, response);
const auth = (name: string, request = `Auth${name}Request`, response = `Auth${name}Response`) => rpc('etcdserverpb.Auth', name, request, response);
const election = (name: string, kind: RouteKind = 'unary') => rpc('v3electionpb.Election', name, `${name}Request`, `${name}Response`, kind);

const leaseTimeToLive = lease('LeaseTimeToLive');
const leaseRevoke = lease('LeaseRevoke');
const leaseLeases = lease('LeaseLeases');

export const gatewayRoutes: ReadonlyMap<string, GatewayRoute> = new Map([
  ['/v3/kv/range', kv('Range', 'RangeRequest', 'RangeResponse')],
  ['/v3/kv/put', kv('Put', 'PutRequest', 'PutResponse')],
  ['/v3/kv/deleterange', kv('DeleteRange', 'DeleteRangeRequest', 'DeleteRangeResponse')],
  ['/v3/kv/txn', kv('Txn', 'TxnRequest', 'TxnResponse')],
  ['/v3/kv/compaction', kv('Compact', 'CompactionRequest', 'CompactionResponse')],
  ['/v3/watch', rpc('etcdserverpb.Watch', 'Watch', 'WatchRequest', 'WatchResponse', 'bidi', false)],
  ['/v3/lease/grant', lease('LeaseGrant')],
  ['/v3/lease/revoke', leaseRevoke],
  ['/v3/kv/lease/revoke', leaseRevoke],
  ['/v3/lease/keepalive', rpc('etcdserverpb.Lease', 'LeaseKeepAlive', 'LeaseKeepAliveRequest', 'LeaseKeepAliveResponse', 'bidi', true)],
  ['/v3/lease/timetolive', leaseTimeToLive],
  ['/v3/kv/lease/timetolive', leaseTimeToLive],
  ['/v3/lease/leases', leaseLeases],
  ['/v3/kv/lease/leases', leaseLeases],
  ['/v3/cluster/member/add', cluster('MemberAdd')],
  ['/v3/cluster/member/remove', cluster('MemberRemove')],
  ['/v3/cluster/member/update', cluster('MemberUpdate')],
  ['/v3/cluster/member/list', cluster('MemberList')],
  ['/v3/cluster/member/promote', cluster('MemberPromote')],
  ['/v3/maintenance/alarm', maintenance('Alarm')],
  ['/v3/maintenance/status', maintenance('Status')],
  ['/v3/maintenance/defragment', maintenance('Defragment')],
  ['/v3/maintenance/hash', maintenance('Hash')],
  ['/v3/maintenance/hashkv', maintenance('HashKV')],
  ['/v3/maintenance/snapshot', { ...maintenance('Snapshot'), kind: 'server-stream' }],
  ['/v3/maintenance/transfer-leadership', maintenance('MoveLeader')],
  ['/v3/maintenance/downgrade', maintenance('Downgrade')],
  ['/v3/auth/enable', auth('AuthEnable', 'AuthEnableRequest', 'AuthEnableResponse')],
  ['/v3/auth/disable', auth('AuthDisable', 'AuthDisableRequest', 'AuthDisableResponse')],
  ['/v3/auth/status', auth('AuthStatus', 'AuthStatusRequest', 'AuthStatusResponse')],
  ['/v3/auth/authenticate', auth('Authenticate', 'AuthenticateRequest', 'AuthenticateResponse')],
  ['/v3/auth/user/add', auth('UserAdd', 'AuthUserAddRequest', 'AuthUserAddResponse')],
  ['/v3/auth/user/get', auth('UserGet', 'AuthUserGetRequest', 'AuthUserGetResponse')],
  ['/v3/auth/user/list', auth('UserList', 'AuthUserListRequest', 'AuthUserListResponse')],
  ['/v3/auth/user/delete', auth('UserDelete', 'AuthUserDeleteRequest', 'AuthUserDeleteResponse')],
  ['/v3/auth/user/changepw', auth('UserChangePassword', 'AuthUserChangePasswordRequest', 'AuthUserChangePasswordResponse')],
  ['/v3/auth/user/grant', auth('UserGrantRole', 'AuthUserGrantRoleRequest', 'AuthUserGrantRoleResponse')],
  ['/v3/auth/user/revoke', auth('UserRevokeRole', 'AuthUserRevokeRoleRequest', 'AuthUserRevokeRoleResponse')],
  ['/v3/auth/role/add', auth('RoleAdd', 'AuthRoleAddRequest', 'AuthRoleAddResponse')],
  ['/v3/auth/role/get', auth('RoleGet', 'AuthRoleGetRequest', 'AuthRoleGetResponse')],
  ['/v3/auth/role/list', auth('RoleList', 'AuthRoleListRequest', 'AuthRoleListResponse')],
  ['/v3/auth/role/delete', auth('RoleDelete', 'AuthRoleDeleteRequest', 'AuthRoleDeleteResponse')],
  ['/v3/auth/role/grant', auth('RoleGrantPermission', 'AuthRoleGrantPermissionRequest', 'AuthRoleGrantPermissionResponse')],
  ['/v3/auth/role/revoke', auth('RoleRevokePermission', 'AuthRoleRevokePermissionRequest', 'AuthRoleRevokePermissionResponse')],
  ['/v3/lock/lock', rpc('v3lockpb.Lock', 'Lock', 'LockRequest', 'LockResponse')],
  ['/v3/lock/unlock', rpc('v3lockpb.Lock', 'Unlock', 'UnlockRequest', 'UnlockResponse')],
  ['/v3/election/campaign', election('Campaign')],
  ['/v3/election/proclaim', election('Proclaim')],
  ['/v3/election/leader', election('Leader')],
  ['/v3/election/observe', { ...rpc('v3electionpb.Election', 'Observe', 'LeaderRequest', 'LeaderResponse'), kind: 'server-stream' }],
  ['/v3/election/resign', election('Resign')],
]);
