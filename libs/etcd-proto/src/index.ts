// Public API of @eckd/etcd-proto: etcd's v3 protos, their loaders, the
// generated message types the workspace uses and etcd's error table.
import './nesting.js';
export { loadEtcdGrpc } from './grpc-services.js';
export { etcdProtoRoot, loadProtoWithEtcdImports } from './proto-root.js';
export { rpcErrors, rpcErrorOf } from './rpc-errors.js';
export { etcdMessageBytes } from './encoded-size.js';
export { varintBytes } from './varint.js';
export type { EtcdErrorName, RpcErrorName } from './rpc-errors.js';

// Message types as proto-loader-gen-types names them: `X` is the permissive
// input form (int64 as number | string | Long, bytes as Buffer | Uint8Array |
// string); `X__Output` is the decoded form under protoLoaderOptions (int64 as
// decimal string, enums as names, bytes as Buffer, defaults filled in).
// Services: `XDefinition` (for addService), `XHandlers`, `XClient`.

// Only what the workspace uses is exported; the generated files have the rest.
export type { AlarmRequest__Output } from './generated/etcdserverpb/AlarmRequest.js';
export type { AlarmResponse } from './generated/etcdserverpb/AlarmResponse.js';
export type { AuthHandlers } from './generated/etcdserverpb/Auth.js';
export type { AuthDisableRequest__Output } from './generated/etcdserverpb/AuthDisableRequest.js';
export type { AuthEnableRequest__Output } from './generated/etcdserverpb/AuthEnableRequest.js';
export type { AuthRoleAddRequest__Output } from './generated/etcdserverpb/AuthRoleAddRequest.js';
export type { AuthRoleDeleteRequest__Output } from './generated/etcdserverpb/AuthRoleDeleteRequest.js';
export type { AuthRoleGrantPermissionRequest__Output } from './generated/etcdserverpb/AuthRoleGrantPermissionRequest.js';
export type { AuthRoleRevokePermissionRequest__Output } from './generated/etcdserverpb/AuthRoleRevokePermissionRequest.js';
export type { AuthUserAddRequest__Output } from './generated/etcdserverpb/AuthUserAddRequest.js';
export type { AuthUserChangePasswordRequest__Output } from './generated/etcdserverpb/AuthUserChangePasswordRequest.js';
export type { AuthUserDeleteRequest__Output } from './generated/etcdserverpb/AuthUserDeleteRequest.js';
export type { AuthUserGrantRoleRequest__Output } from './generated/etcdserverpb/AuthUserGrantRoleRequest.js';
export type { AuthUserRevokeRoleRequest__Output } from './generated/etcdserverpb/AuthUserRevokeRoleRequest.js';
export type { Permission, Permission__Output } from './generated/authpb/Permission.js';
export type { Role, Role__Output } from './generated/authpb/Role.js';
export type { User, User__Output } from './generated/authpb/User.js';
export type { ClusterHandlers } from './generated/etcdserverpb/Cluster.js';
export type { CompactionRequest__Output } from './generated/etcdserverpb/CompactionRequest.js';
export type { CompactionResponse } from './generated/etcdserverpb/CompactionResponse.js';
export type { DefragmentRequest__Output } from './generated/etcdserverpb/DefragmentRequest.js';
export type { DefragmentResponse } from './generated/etcdserverpb/DefragmentResponse.js';
export type { DowngradeRequest__Output } from './generated/etcdserverpb/DowngradeRequest.js';
export type { DowngradeResponse } from './generated/etcdserverpb/DowngradeResponse.js';
export type { KVClient, KVHandlers } from './generated/etcdserverpb/KV.js';
export type { LeaseClient, LeaseHandlers } from './generated/etcdserverpb/Lease.js';
export type { LeaseGrantRequest__Output } from './generated/etcdserverpb/LeaseGrantRequest.js';
export type { LeaseGrantResponse } from './generated/etcdserverpb/LeaseGrantResponse.js';
export type { LeaseKeepAliveRequest__Output } from './generated/etcdserverpb/LeaseKeepAliveRequest.js';
export type { LeaseKeepAliveResponse } from './generated/etcdserverpb/LeaseKeepAliveResponse.js';
export type { LeaseLeasesRequest__Output } from './generated/etcdserverpb/LeaseLeasesRequest.js';
export type { LeaseLeasesResponse } from './generated/etcdserverpb/LeaseLeasesResponse.js';
export type { LeaseRevokeRequest__Output } from './generated/etcdserverpb/LeaseRevokeRequest.js';
export type { LeaseRevokeResponse } from './generated/etcdserverpb/LeaseRevokeResponse.js';
export type { LeaseTimeToLiveRequest__Output } from './generated/etcdserverpb/LeaseTimeToLiveRequest.js';
export type { LeaseTimeToLiveResponse } from './generated/etcdserverpb/LeaseTimeToLiveResponse.js';
export type { MaintenanceClient, MaintenanceHandlers } from './generated/etcdserverpb/Maintenance.js';
export type { Member__Output } from './generated/etcdserverpb/Member.js';
export type { PutRequest__Output } from './generated/etcdserverpb/PutRequest.js';
export type { PutResponse, PutResponse__Output } from './generated/etcdserverpb/PutResponse.js';
export type { RangeRequest__Output } from './generated/etcdserverpb/RangeRequest.js';
export type { RangeResponse, RangeResponse__Output } from './generated/etcdserverpb/RangeResponse.js';
export type { RequestOp, RequestOp__Output } from './generated/etcdserverpb/RequestOp.js';
export type { TxnResponse__Output } from './generated/etcdserverpb/TxnResponse.js';
export type { ResponseOp } from './generated/etcdserverpb/ResponseOp.js';
export type { SnapshotRequest__Output } from './generated/etcdserverpb/SnapshotRequest.js';
export type { SnapshotResponse } from './generated/etcdserverpb/SnapshotResponse.js';
export type { StatusRequest__Output } from './generated/etcdserverpb/StatusRequest.js';
export type { StatusResponse } from './generated/etcdserverpb/StatusResponse.js';
export type { WatchClient } from './generated/etcdserverpb/Watch.js';
export type { WatchResponse__Output } from './generated/etcdserverpb/WatchResponse.js';
export type { WatchRequest, WatchRequest__Output } from './generated/etcdserverpb/WatchRequest.js';
export type { Event } from './generated/mvccpb/Event.js';
export type { KeyValue } from './generated/mvccpb/KeyValue.js';
export type { LockHandlers } from './generated/v3lockpb/Lock.js';
export type { LockRequest__Output } from './generated/v3lockpb/LockRequest.js';
export type { LockResponse } from './generated/v3lockpb/LockResponse.js';
export type { ElectionHandlers } from './generated/v3electionpb/Election.js';
export type { CampaignRequest__Output } from './generated/v3electionpb/CampaignRequest.js';
export type { CampaignResponse } from './generated/v3electionpb/CampaignResponse.js';
export type { LeaderKey__Output } from './generated/v3electionpb/LeaderKey.js';
export type { LeaderResponse } from './generated/v3electionpb/LeaderResponse.js';
export type { ConflictsHandlers } from './generated/eckdserverpb/Conflicts.js';
export type { ConflictListRequest, ConflictListRequest__Output } from './generated/eckdserverpb/ConflictListRequest.js';
export type { ConflictListResponse, ConflictListResponse__Output } from './generated/eckdserverpb/ConflictListResponse.js';
export type { Conflict, Conflict__Output } from './generated/eckdserverpb/Conflict.js';
export { responseEncoders, responseOverLimit, encodeEmbedded, encodeIntField } from './response-encoder.js';
