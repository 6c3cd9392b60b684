// The version 1 wire messages as TypeScript types, and one codec each.
// Embedded etcd messages take etcd-proto's generated types. Requests are
// the decoded (`__Output`) form with every field optional (Sent): the
// frontend forwards what gRPC decoded, the backend reads what the wire
// decoded (defaults filled in), and the backend's own proposals and tests
// may leave fields out. Responses,
// events and kvs are the input form: the backend's domain values (int64 as
// numbers) are valid as they are, and a decoded message (int64 as strings)
// fits too; libs/mvcc's wire conversions read them back.
import type {
  AuthDisableRequest__Output,
  AuthEnableRequest__Output,
  AuthRoleAddRequest__Output,
  AuthRoleDeleteRequest__Output,
  AuthRoleGrantPermissionRequest__Output,
  AuthRoleRevokePermissionRequest__Output,
  AuthUserAddRequest__Output,
  AuthUserChangePasswordRequest__Output,
  AuthUserDeleteRequest__Output,
  AuthUserGrantRoleRequest__Output,
  AuthUserRevokeRoleRequest__Output,
  CompactionRequest__Output,
  CompactionResponse,
  EtcdErrorName,
  Event,
  KeyValue,
  LeaseGrantRequest__Output,
  LeaseGrantResponse,
  LeaseKeepAliveRequest__Output,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest__Output,
  LeaseLeasesResponse,
  LeaseRevokeRequest__Output,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest__Output,
  LeaseTimeToLiveResponse,
  RequestOp__Output,
  ResponseOp,
} from '@eckd/etcd-proto';
import { wireCodec } from './wire.js';

/** A decoded etcd message as a sender may write it: every field optional, nested ones too. */
export type Sent<T> = { [K in keyof T]?: SentField<T[K]> };
type SentField<V> = V extends Buffer ? V : V extends readonly (infer E)[] ? SentField<E>[] : V extends object ? Sent<V> : V;

/** int64 fields decode as decimal strings; numbers are accepted on encode. */
export type Int64 = string | number;

export interface WireError {
  /** Typed for the sender; a received name is checked against etcd's table where it becomes a gRPC error. */
  name: EtcdErrorName;
  message: string;
}

/** An error etcd has no name for (a storage failure, a bug), its class kept in the text for the logs. */
export function unknownWireError(err: unknown): WireError {
  return { name: 'Unknown', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

/** The lease operations, which the backend owns (one clock per node). */
export type LeaseOp = 'lease_grant' | 'lease_revoke' | 'lease_keep_alive' | 'lease_time_to_live' | 'lease_leases';

/** The auth changes a frontend proposes (docs/ARCHITECTURE.md §5g); passwords arrive hashed. */
export type AuthChangeOp =
  | 'auth_enable'
  | 'auth_disable'
  | 'user_add'
  | 'user_delete'
  | 'user_change_password'
  | 'user_grant_role'
  | 'user_revoke_role'
  | 'role_add'
  | 'role_delete'
  | 'role_grant_permission'
  | 'role_revoke_permission';

export interface AuthChange {
  op?: AuthChangeOp;
  auth_enable?: Sent<AuthEnableRequest__Output> | null;
  auth_disable?: Sent<AuthDisableRequest__Output> | null;
  user_add?: Sent<AuthUserAddRequest__Output> | null;
  user_delete?: Sent<AuthUserDeleteRequest__Output> | null;
  user_change_password?: Sent<AuthUserChangePasswordRequest__Output> | null;
  user_grant_role?: Sent<AuthUserGrantRoleRequest__Output> | null;
  user_revoke_role?: Sent<AuthUserRevokeRoleRequest__Output> | null;
  role_add?: Sent<AuthRoleAddRequest__Output> | null;
  role_delete?: Sent<AuthRoleDeleteRequest__Output> | null;
  role_grant_permission?: Sent<AuthRoleGrantPermissionRequest__Output> | null;
  role_revoke_permission?: Sent<AuthRoleRevokePermissionRequest__Output> | null;
}

export interface AuthChangeResult {
  auth_revision: Int64;
}

export interface Proposal {
  id: Int64;
  op?: 'request' | 'compaction' | LeaseOp | 'auth';
  auth?: AuthChange | null;
  /** the frontend's auth revision when it checked the request (0 or absent: unchecked) */
  auth_revision?: Int64;
  request?: Sent<RequestOp__Output> | null;
  compaction?: Sent<CompactionRequest__Output> | null;
  lease_grant?: Sent<LeaseGrantRequest__Output> | null;
  lease_revoke?: Sent<LeaseRevokeRequest__Output> | null;
  lease_keep_alive?: Sent<LeaseKeepAliveRequest__Output> | null;
  lease_time_to_live?: Sent<LeaseTimeToLiveRequest__Output> | null;
  lease_leases?: Sent<LeaseLeasesRequest__Output> | null;
}

export interface ProposeRequest {
  frontend_id: string;
  proposals: Proposal[];
  /** Unix time in ms after which the client has given up (0 or absent: none); the backend drops the request unevaluated after it */
  deadline_ms?: Int64;
}

export interface ProposalResult {
  id: Int64;
  revision: Int64;
  result?: 'response' | 'compaction' | 'error' | LeaseOp | 'auth';
  auth?: AuthChangeResult | null;
  response?: ResponseOp | null;
  compaction?: CompactionResponse | null;
  error?: WireError | null;
  lease_grant?: LeaseGrantResponse | null;
  lease_revoke?: LeaseRevokeResponse | null;
  lease_keep_alive?: LeaseKeepAliveResponse | null;
  lease_time_to_live?: LeaseTimeToLiveResponse | null;
  lease_leases?: LeaseLeasesResponse | null;
}

export interface ProposeReply {
  results: ProposalResult[];
  error?: WireError | null;
}

export type ReadIndexRequest = Record<string, never>;

export interface ReadIndexReply {
  revision: Int64;
  error?: WireError | null;
  epoch: string;
}

export interface RevisionPatch {
  revision: Int64;
  events: Event[];
}

export interface NodeIdentity {
  cluster_id: Int64;
  member_id: Int64;
  raft_term: Int64;
  /** new at every backend start */
  epoch: string;
}

export interface PatchBatch {
  patches: RevisionPatch[];
  identity: NodeIdentity | null;
  compact_revision: Int64;
}

export interface SyncRequest {
  after_revision: Int64;
  /** the backend epoch the replica's history comes from (absent or empty: none, the whole state) */
  epoch?: string;
}

export interface SyncChunk {
  index: number;
  done: boolean;
  identity: NodeIdentity | null;
  revision: Int64;
  compact_revision: Int64;
  base: KeyValue[];
  patches: RevisionPatch[];
  error?: WireError | null;
  /** true: only the revisions after the request's after_revision, no base */
  incremental?: boolean;
}

export interface AppendRequest {
  actor: Uint8Array;
  seq: Int64;
  change: Uint8Array;
  first_revision: Int64;
  last_revision: Int64;
  /** an encoded PatchBatch: stored and replayed as is; empty for a compaction-only batch */
  patch_batch: Uint8Array;
  compacted: boolean;
  compact_revision: Int64;
  /** a history cut after this batch (absent: none) */
  rebase?: Rebase | null;
  /** the sending backend's fencing epoch: stored only while it is the current one (decoded: '0' when absent) */
  fencing_epoch?: Int64;
  /** peers' changes applied in this batch */
  peer_changes?: PeerChange[];
  /** peers' sync states that changed */
  peer_sync_states?: PeerSyncState[];
  /** 1, 2, … per backend: stored only right after its predecessor; 0 or absent: outside the chain (decoded: '0' when absent) */
  append_index?: Int64;
}

/** The persisted part of the sync state with one peer. */
export interface PeerSyncState {
  member: Int64;
  state: Uint8Array;
}

/** An Automerge change another member made, as stored. */
export interface PeerChange {
  actor: Uint8Array;
  seq: Int64;
  change: Uint8Array;
}

/** A batch's own change, pushed to every peer after its append committed. */
export interface PeerChanges {
  cluster_id: Int64;
  origin: Int64;
  changes: Uint8Array[];
  heads: string[];
}

/** One Automerge sync message for the addressed member. */
export interface PeerSync {
  cluster_id: Int64;
  from: Int64;
  round: Int64;
  message: Uint8Array;
}

/** Everything of the addressed origin up to origin_revision is stored by `from`. */
export interface PeerStored {
  cluster_id: Int64;
  from: Int64;
  origin_revision: Int64;
}

/** A frontend's replica applied every revision up to `revision` (internal factor). */
export interface FrontendApplied {
  frontend_id: string;
  revision: Int64;
}

/** Every revision of this node up to origin_revision is stored by `member`. */
export interface MemberStored {
  member: Int64;
  origin_revision: Int64;
}

/** The other members' storage watermarks, backend to frontends (external factor). */
export interface PeerStoredRevisions {
  members: MemberStored[];
}

export interface Rebase {
  /** the rebase change, then the writes made since, as concatenated Automerge changes */
  document: Uint8Array;
  heads: string[];
  key_count: Int64;
}

export interface AppendReply {
  durable_revision: Int64;
  error?: WireError | null;
  /** refused because another backend took over the node: retrying cannot help (decoded: false when absent) */
  fenced?: boolean;
}

export interface LoadRequest {
  /** the loading backend's NodeIdentity.epoch (hex): the load claims a fencing epoch for it */
  backend: string;
}

export interface LoadChunk {
  index: number;
  done: boolean;
  changes: Uint8Array[];
  patch_batches: Uint8Array[];
  error?: WireError | null;
  compacted: boolean;
  compact_revision: Int64;
  /** first chunk only, when recovery starts from a snapshot */
  snapshot?: LoadSnapshot | null;
  /** the next piece of the snapshot's saved document (empty: none in this chunk) */
  snapshot_document?: Uint8Array;
  /** the next piece of the snapshot's encoded SnapshotIndex */
  snapshot_index?: Uint8Array;
  /** on the last chunk: the fencing epoch this load claimed for the backend (decoded: '0' when absent) */
  fencing_epoch?: Int64;
  /** last chunk: the stored sync state per peer */
  peer_sync_states?: PeerSyncState[];
}

/** A backend announcing the fencing epoch it claimed, before it serves. */
export interface BackendTakeover {
  fencing_epoch: Int64;
}

export interface LoadSnapshot {
  through_revision: Int64;
  /** 0: the snapshot holds no key index; the whole log is replayed */
  index_revision: Int64;
  compact_revision: Int64;
  heads: string[];
  document_bytes: Int64;
  index_bytes: Int64;
}

export interface SnapshotIndex {
  revision: Int64;
  compact_revision: Int64;
  kvs: KeyValue[];
}

export type CompactorRunRequest = Record<string, never>;

export interface CompactorRunReply {
  ran: boolean;
  reason: string;
  through_revision: Int64;
  index_revision: Int64;
  changes_deleted: Int64;
  log_rows_deleted: Int64;
  document_bytes: Int64;
  index_bytes: Int64;
  duration_ms: Int64;
  error?: WireError | null;
}

export const codecs = Object.freeze({
  proposeRequest: wireCodec<ProposeRequest>('ProposeRequest'),
  proposeReply: wireCodec<ProposeReply>('ProposeReply'),
  readIndexRequest: wireCodec<ReadIndexRequest>('ReadIndexRequest'),
  readIndexReply: wireCodec<ReadIndexReply>('ReadIndexReply'),
  patchBatch: wireCodec<PatchBatch>('PatchBatch'),
  syncRequest: wireCodec<SyncRequest>('SyncRequest'),
  syncChunk: wireCodec<SyncChunk>('SyncChunk'),
  appendRequest: wireCodec<AppendRequest>('AppendRequest'),
  appendReply: wireCodec<AppendReply>('AppendReply'),
  loadRequest: wireCodec<LoadRequest>('LoadRequest'),
  loadChunk: wireCodec<LoadChunk>('LoadChunk'),
  backendTakeover: wireCodec<BackendTakeover>('BackendTakeover'),
  revisionPatch: wireCodec<RevisionPatch>('RevisionPatch'),
  snapshotIndex: wireCodec<SnapshotIndex>('SnapshotIndex'),
  compactorRunRequest: wireCodec<CompactorRunRequest>('CompactorRunRequest'),
  compactorRunReply: wireCodec<CompactorRunReply>('CompactorRunReply'),
  peerChanges: wireCodec<PeerChanges>('PeerChanges'),
  peerSync: wireCodec<PeerSync>('PeerSync'),
  peerStored: wireCodec<PeerStored>('PeerStored'),
  frontendApplied: wireCodec<FrontendApplied>('FrontendApplied'),
  peerStoredRevisions: wireCodec<PeerStoredRevisions>('PeerStoredRevisions'),
});
