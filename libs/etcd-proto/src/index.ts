// Public API of @eckd/etcd-proto: etcd's v3 protos, their loaders, the
// generated message types and etcd's error table.
export { protoDir, etcdProtoFiles, protoLoaderOptions } from './proto-files.js';
export { loadEtcdGrpc } from './grpc-services.js';
export type { EtcdGrpc, EtcdGrpcObject } from './grpc-services.js';
export { etcdProtoRoot, loadProtoWithEtcdImports } from './proto-root.js';
export { rpcErrors, rpcErrorNameOf } from './rpc-errors.js';
export { etcdMessageBytes, messageBytes } from './encoded-size.js';
export { varintBytes } from './varint.js';
export type { RpcError, RpcErrorName } from './rpc-errors.js';

// Message types as proto-loader-gen-types names them: `X` is the permissive
// input form (int64 as number | string | Long, bytes as Buffer | Uint8Array |
// string); `X__Output` is the decoded form under protoLoaderOptions (int64 as
// decimal string, enums as names, bytes as Buffer, defaults filled in).
// Services: `XDefinition` (for addService), `XHandlers`, `XClient`.

// Enums, under their short names.
export type {
  _etcdserverpb_RangeRequest_SortOrder as SortOrder,
  _etcdserverpb_RangeRequest_SortOrder__Output as SortOrder__Output,
  _etcdserverpb_RangeRequest_SortTarget as SortTarget,
  _etcdserverpb_RangeRequest_SortTarget__Output as SortTarget__Output,
} from './generated/etcdserverpb/RangeRequest.js';
export type {
  _etcdserverpb_Compare_CompareResult as CompareResult,
  _etcdserverpb_Compare_CompareResult__Output as CompareResult__Output,
  _etcdserverpb_Compare_CompareTarget as CompareTarget,
  _etcdserverpb_Compare_CompareTarget__Output as CompareTarget__Output,
} from './generated/etcdserverpb/Compare.js';
export type {
  _etcdserverpb_WatchCreateRequest_FilterType as WatchFilterType,
  _etcdserverpb_WatchCreateRequest_FilterType__Output as WatchFilterType__Output,
} from './generated/etcdserverpb/WatchCreateRequest.js';
export type {
  _etcdserverpb_AlarmRequest_AlarmAction as AlarmAction,
  _etcdserverpb_AlarmRequest_AlarmAction__Output as AlarmAction__Output,
} from './generated/etcdserverpb/AlarmRequest.js';
export type {
  _etcdserverpb_DowngradeRequest_DowngradeAction as DowngradeAction,
  _etcdserverpb_DowngradeRequest_DowngradeAction__Output as DowngradeAction__Output,
} from './generated/etcdserverpb/DowngradeRequest.js';
export type { AlarmType, AlarmType__Output } from './generated/etcdserverpb/AlarmType.js';
export type {
  _mvccpb_Event_EventType as EventType,
  _mvccpb_Event_EventType__Output as EventType__Output,
} from './generated/mvccpb/Event.js';
export type {
  _authpb_Permission_Type as PermissionType,
  _authpb_Permission_Type__Output as PermissionType__Output,
} from './generated/authpb/Permission.js';

// Services and messages.
export type { AlarmMember, AlarmMember__Output } from './generated/etcdserverpb/AlarmMember.js';
export type { AlarmRequest, AlarmRequest__Output } from './generated/etcdserverpb/AlarmRequest.js';
export type { AlarmResponse, AlarmResponse__Output } from './generated/etcdserverpb/AlarmResponse.js';
export type { AuthClient, AuthDefinition, AuthHandlers } from './generated/etcdserverpb/Auth.js';
export type { AuthDisableRequest, AuthDisableRequest__Output } from './generated/etcdserverpb/AuthDisableRequest.js';
export type { AuthDisableResponse, AuthDisableResponse__Output } from './generated/etcdserverpb/AuthDisableResponse.js';
export type { AuthEnableRequest, AuthEnableRequest__Output } from './generated/etcdserverpb/AuthEnableRequest.js';
export type { AuthEnableResponse, AuthEnableResponse__Output } from './generated/etcdserverpb/AuthEnableResponse.js';
export type { AuthRoleAddRequest, AuthRoleAddRequest__Output } from './generated/etcdserverpb/AuthRoleAddRequest.js';
export type { AuthRoleAddResponse, AuthRoleAddResponse__Output } from './generated/etcdserverpb/AuthRoleAddResponse.js';
export type { AuthRoleDeleteRequest, AuthRoleDeleteRequest__Output } from './generated/etcdserverpb/AuthRoleDeleteRequest.js';
export type { AuthRoleDeleteResponse, AuthRoleDeleteResponse__Output } from './generated/etcdserverpb/AuthRoleDeleteResponse.js';
export type { AuthRoleGetRequest, AuthRoleGetRequest__Output } from './generated/etcdserverpb/AuthRoleGetRequest.js';
export type { AuthRoleGetResponse, AuthRoleGetResponse__Output } from './generated/etcdserverpb/AuthRoleGetResponse.js';
export type { AuthRoleGrantPermissionRequest, AuthRoleGrantPermissionRequest__Output } from './generated/etcdserverpb/AuthRoleGrantPermissionRequest.js';
export type { AuthRoleGrantPermissionResponse, AuthRoleGrantPermissionResponse__Output } from './generated/etcdserverpb/AuthRoleGrantPermissionResponse.js';
export type { AuthRoleListRequest, AuthRoleListRequest__Output } from './generated/etcdserverpb/AuthRoleListRequest.js';
export type { AuthRoleListResponse, AuthRoleListResponse__Output } from './generated/etcdserverpb/AuthRoleListResponse.js';
export type { AuthRoleRevokePermissionRequest, AuthRoleRevokePermissionRequest__Output } from './generated/etcdserverpb/AuthRoleRevokePermissionRequest.js';
export type { AuthRoleRevokePermissionResponse, AuthRoleRevokePermissionResponse__Output } from './generated/etcdserverpb/AuthRoleRevokePermissionResponse.js';
export type { AuthStatusRequest, AuthStatusRequest__Output } from './generated/etcdserverpb/AuthStatusRequest.js';
export type { AuthStatusResponse, AuthStatusResponse__Output } from './generated/etcdserverpb/AuthStatusResponse.js';
export type { AuthUserAddRequest, AuthUserAddRequest__Output } from './generated/etcdserverpb/AuthUserAddRequest.js';
export type { AuthUserAddResponse, AuthUserAddResponse__Output } from './generated/etcdserverpb/AuthUserAddResponse.js';
export type { AuthUserChangePasswordRequest, AuthUserChangePasswordRequest__Output } from './generated/etcdserverpb/AuthUserChangePasswordRequest.js';
export type { AuthUserChangePasswordResponse, AuthUserChangePasswordResponse__Output } from './generated/etcdserverpb/AuthUserChangePasswordResponse.js';
export type { AuthUserDeleteRequest, AuthUserDeleteRequest__Output } from './generated/etcdserverpb/AuthUserDeleteRequest.js';
export type { AuthUserDeleteResponse, AuthUserDeleteResponse__Output } from './generated/etcdserverpb/AuthUserDeleteResponse.js';
export type { AuthUserGetRequest, AuthUserGetRequest__Output } from './generated/etcdserverpb/AuthUserGetRequest.js';
export type { AuthUserGetResponse, AuthUserGetResponse__Output } from './generated/etcdserverpb/AuthUserGetResponse.js';
export type { AuthUserGrantRoleRequest, AuthUserGrantRoleRequest__Output } from './generated/etcdserverpb/AuthUserGrantRoleRequest.js';
export type { AuthUserGrantRoleResponse, AuthUserGrantRoleResponse__Output } from './generated/etcdserverpb/AuthUserGrantRoleResponse.js';
export type { AuthUserListRequest, AuthUserListRequest__Output } from './generated/etcdserverpb/AuthUserListRequest.js';
export type { AuthUserListResponse, AuthUserListResponse__Output } from './generated/etcdserverpb/AuthUserListResponse.js';
export type { AuthUserRevokeRoleRequest, AuthUserRevokeRoleRequest__Output } from './generated/etcdserverpb/AuthUserRevokeRoleRequest.js';
export type { AuthUserRevokeRoleResponse, AuthUserRevokeRoleResponse__Output } from './generated/etcdserverpb/AuthUserRevokeRoleResponse.js';
export type { AuthenticateRequest, AuthenticateRequest__Output } from './generated/etcdserverpb/AuthenticateRequest.js';
export type { AuthenticateResponse, AuthenticateResponse__Output } from './generated/etcdserverpb/AuthenticateResponse.js';
export type { ClusterClient, ClusterDefinition, ClusterHandlers } from './generated/etcdserverpb/Cluster.js';
export type { CompactionRequest, CompactionRequest__Output } from './generated/etcdserverpb/CompactionRequest.js';
export type { CompactionResponse, CompactionResponse__Output } from './generated/etcdserverpb/CompactionResponse.js';
export type { Compare, Compare__Output } from './generated/etcdserverpb/Compare.js';
export type { DefragmentRequest, DefragmentRequest__Output } from './generated/etcdserverpb/DefragmentRequest.js';
export type { DefragmentResponse, DefragmentResponse__Output } from './generated/etcdserverpb/DefragmentResponse.js';
export type { DeleteRangeRequest, DeleteRangeRequest__Output } from './generated/etcdserverpb/DeleteRangeRequest.js';
export type { DeleteRangeResponse, DeleteRangeResponse__Output } from './generated/etcdserverpb/DeleteRangeResponse.js';
export type { DowngradeInfo, DowngradeInfo__Output } from './generated/etcdserverpb/DowngradeInfo.js';
export type { DowngradeRequest, DowngradeRequest__Output } from './generated/etcdserverpb/DowngradeRequest.js';
export type { DowngradeResponse, DowngradeResponse__Output } from './generated/etcdserverpb/DowngradeResponse.js';
export type { DowngradeVersionTestRequest, DowngradeVersionTestRequest__Output } from './generated/etcdserverpb/DowngradeVersionTestRequest.js';
export type { HashKVRequest, HashKVRequest__Output } from './generated/etcdserverpb/HashKVRequest.js';
export type { HashKVResponse, HashKVResponse__Output } from './generated/etcdserverpb/HashKVResponse.js';
export type { HashRequest, HashRequest__Output } from './generated/etcdserverpb/HashRequest.js';
export type { HashResponse, HashResponse__Output } from './generated/etcdserverpb/HashResponse.js';
export type { KVClient, KVDefinition, KVHandlers } from './generated/etcdserverpb/KV.js';
export type { LeaseClient, LeaseDefinition, LeaseHandlers } from './generated/etcdserverpb/Lease.js';
export type { LeaseCheckpoint, LeaseCheckpoint__Output } from './generated/etcdserverpb/LeaseCheckpoint.js';
export type { LeaseCheckpointRequest, LeaseCheckpointRequest__Output } from './generated/etcdserverpb/LeaseCheckpointRequest.js';
export type { LeaseCheckpointResponse, LeaseCheckpointResponse__Output } from './generated/etcdserverpb/LeaseCheckpointResponse.js';
export type { LeaseGrantRequest, LeaseGrantRequest__Output } from './generated/etcdserverpb/LeaseGrantRequest.js';
export type { LeaseGrantResponse, LeaseGrantResponse__Output } from './generated/etcdserverpb/LeaseGrantResponse.js';
export type { LeaseKeepAliveRequest, LeaseKeepAliveRequest__Output } from './generated/etcdserverpb/LeaseKeepAliveRequest.js';
export type { LeaseKeepAliveResponse, LeaseKeepAliveResponse__Output } from './generated/etcdserverpb/LeaseKeepAliveResponse.js';
export type { LeaseLeasesRequest, LeaseLeasesRequest__Output } from './generated/etcdserverpb/LeaseLeasesRequest.js';
export type { LeaseLeasesResponse, LeaseLeasesResponse__Output } from './generated/etcdserverpb/LeaseLeasesResponse.js';
export type { LeaseRevokeRequest, LeaseRevokeRequest__Output } from './generated/etcdserverpb/LeaseRevokeRequest.js';
export type { LeaseRevokeResponse, LeaseRevokeResponse__Output } from './generated/etcdserverpb/LeaseRevokeResponse.js';
export type { LeaseStatus, LeaseStatus__Output } from './generated/etcdserverpb/LeaseStatus.js';
export type { LeaseTimeToLiveRequest, LeaseTimeToLiveRequest__Output } from './generated/etcdserverpb/LeaseTimeToLiveRequest.js';
export type { LeaseTimeToLiveResponse, LeaseTimeToLiveResponse__Output } from './generated/etcdserverpb/LeaseTimeToLiveResponse.js';
export type { MaintenanceClient, MaintenanceDefinition, MaintenanceHandlers } from './generated/etcdserverpb/Maintenance.js';
export type { Member, Member__Output } from './generated/etcdserverpb/Member.js';
export type { MemberAddRequest, MemberAddRequest__Output } from './generated/etcdserverpb/MemberAddRequest.js';
export type { MemberAddResponse, MemberAddResponse__Output } from './generated/etcdserverpb/MemberAddResponse.js';
export type { MemberListRequest, MemberListRequest__Output } from './generated/etcdserverpb/MemberListRequest.js';
export type { MemberListResponse, MemberListResponse__Output } from './generated/etcdserverpb/MemberListResponse.js';
export type { MemberPromoteRequest, MemberPromoteRequest__Output } from './generated/etcdserverpb/MemberPromoteRequest.js';
export type { MemberPromoteResponse, MemberPromoteResponse__Output } from './generated/etcdserverpb/MemberPromoteResponse.js';
export type { MemberRemoveRequest, MemberRemoveRequest__Output } from './generated/etcdserverpb/MemberRemoveRequest.js';
export type { MemberRemoveResponse, MemberRemoveResponse__Output } from './generated/etcdserverpb/MemberRemoveResponse.js';
export type { MemberUpdateRequest, MemberUpdateRequest__Output } from './generated/etcdserverpb/MemberUpdateRequest.js';
export type { MemberUpdateResponse, MemberUpdateResponse__Output } from './generated/etcdserverpb/MemberUpdateResponse.js';
export type { MoveLeaderRequest, MoveLeaderRequest__Output } from './generated/etcdserverpb/MoveLeaderRequest.js';
export type { MoveLeaderResponse, MoveLeaderResponse__Output } from './generated/etcdserverpb/MoveLeaderResponse.js';
export type { PutRequest, PutRequest__Output } from './generated/etcdserverpb/PutRequest.js';
export type { PutResponse, PutResponse__Output } from './generated/etcdserverpb/PutResponse.js';
export type { RangeRequest, RangeRequest__Output } from './generated/etcdserverpb/RangeRequest.js';
export type { RangeResponse, RangeResponse__Output } from './generated/etcdserverpb/RangeResponse.js';
export type { RequestOp, RequestOp__Output } from './generated/etcdserverpb/RequestOp.js';
export type { ResponseHeader, ResponseHeader__Output } from './generated/etcdserverpb/ResponseHeader.js';
export type { ResponseOp, ResponseOp__Output } from './generated/etcdserverpb/ResponseOp.js';
export type { SnapshotRequest, SnapshotRequest__Output } from './generated/etcdserverpb/SnapshotRequest.js';
export type { SnapshotResponse, SnapshotResponse__Output } from './generated/etcdserverpb/SnapshotResponse.js';
export type { StatusRequest, StatusRequest__Output } from './generated/etcdserverpb/StatusRequest.js';
export type { StatusResponse, StatusResponse__Output } from './generated/etcdserverpb/StatusResponse.js';
export type { TxnRequest, TxnRequest__Output } from './generated/etcdserverpb/TxnRequest.js';
export type { TxnResponse, TxnResponse__Output } from './generated/etcdserverpb/TxnResponse.js';
export type { WatchClient, WatchDefinition, WatchHandlers } from './generated/etcdserverpb/Watch.js';
export type { WatchCancelRequest, WatchCancelRequest__Output } from './generated/etcdserverpb/WatchCancelRequest.js';
export type { WatchCreateRequest, WatchCreateRequest__Output } from './generated/etcdserverpb/WatchCreateRequest.js';
export type { WatchProgressRequest, WatchProgressRequest__Output } from './generated/etcdserverpb/WatchProgressRequest.js';
export type { WatchRequest, WatchRequest__Output } from './generated/etcdserverpb/WatchRequest.js';
export type { WatchResponse, WatchResponse__Output } from './generated/etcdserverpb/WatchResponse.js';
export type { Event, Event__Output } from './generated/mvccpb/Event.js';
export type { KeyValue, KeyValue__Output } from './generated/mvccpb/KeyValue.js';
export type { Permission, Permission__Output } from './generated/authpb/Permission.js';
export type { Role, Role__Output } from './generated/authpb/Role.js';
export type { User, User__Output } from './generated/authpb/User.js';
export type { UserAddOptions, UserAddOptions__Output } from './generated/authpb/UserAddOptions.js';
export type { LockClient, LockDefinition, LockHandlers } from './generated/v3lockpb/Lock.js';
export type { LockRequest, LockRequest__Output } from './generated/v3lockpb/LockRequest.js';
export type { LockResponse, LockResponse__Output } from './generated/v3lockpb/LockResponse.js';
export type { UnlockRequest, UnlockRequest__Output } from './generated/v3lockpb/UnlockRequest.js';
export type { UnlockResponse, UnlockResponse__Output } from './generated/v3lockpb/UnlockResponse.js';
export type { CampaignRequest, CampaignRequest__Output } from './generated/v3electionpb/CampaignRequest.js';
export type { CampaignResponse, CampaignResponse__Output } from './generated/v3electionpb/CampaignResponse.js';
export type { ElectionClient, ElectionDefinition, ElectionHandlers } from './generated/v3electionpb/Election.js';
export type { LeaderKey, LeaderKey__Output } from './generated/v3electionpb/LeaderKey.js';
export type { LeaderRequest, LeaderRequest__Output } from './generated/v3electionpb/LeaderRequest.js';
export type { LeaderResponse, LeaderResponse__Output } from './generated/v3electionpb/LeaderResponse.js';
export type { ProclaimRequest, ProclaimRequest__Output } from './generated/v3electionpb/ProclaimRequest.js';
export type { ProclaimResponse, ProclaimResponse__Output } from './generated/v3electionpb/ProclaimResponse.js';
export type { ResignRequest, ResignRequest__Output } from './generated/v3electionpb/ResignRequest.js';
export type { ResignResponse, ResignResponse__Output } from './generated/v3electionpb/ResignResponse.js';
export { responseEncoders, responseBytes, responseOverLimit, encodeEmbedded, encodeIntField } from './response-encoder.js';
