export { nodeSubjects, clusterSubjects, validateSubjectToken, SubjectError } from './subjects.js';
export type { ClusterSubjects, NodeSubjects, SubjectScope } from './subjects.js';
export { natsServiceKinds, nodePermissions, serviceInboxPrefix, replyInboxes, natsAuthorizationConfig } from './permissions.js';
export type { NatsServiceKind, NatsPermissions, NatsPassword } from './permissions.js';
export { wireCodec, WireDecodeError } from './wire.js';
export type { WireCodec } from './wire.js';
export { codecs, unknownWireError } from './messages.js';
export type {
  Int64,
  Sent,
  WireError,
  Proposal,
  AuthChange,
  AuthChangeOp,
  AuthChangeResult,
  LeaseOp,
  ProposeRequest,
  ProposalResult,
  ProposeReply,
  ReadIndexRequest,
  ReadIndexReply,
  RevisionPatch,
  NodeIdentity,
  PatchBatch,
  SyncRequest,
  SyncChunk,
  AppendRequest,
  AppendReply,
  Rebase,
  LoadRequest,
  LoadChunk,
  BackendTakeover,
  LoadSnapshot,
  SnapshotIndex,
  CompactorRunRequest,
  CompactorRunReply,
  PeerChange,
  PeerSyncState,
  PeerChanges,
  PeerSync,
  PeerStored,
  FrontendApplied,
  MemberStored,
  PeerStoredRevisions,
} from './messages.js';
export { ChunkBudget, chunkBySize, payloadHeadroomBytes } from './chunks.js';
export { BadMessageError, conflictKinds, messageLimits, validated, validators } from './validate.js';
export type { Validator } from './validate.js';
export { maintenanceCodecs, backupFormat, backupFormatVersion, backupSectorBytes, encodeBackupFile, encodeBackupFileHead, encodeBackupFileRows, encodeBackupFileRowsHead, encodeBackupFilePadding } from './maintenance-messages.js';
export type {
  AlarmMemberMessage,
  DowngradeInfoMessage,
  MaintenanceRequest,
  MaintenanceReply,
  NodeStatus,
  MaintenanceState,
  StorageRequest,
  StorageReply,
  BackupRequest,
  BackupChunk,
  BackupFile,
  BackupRows,
} from './maintenance-messages.js';
export { conflictsCodecs } from './conflicts-messages.js';
export type { ConflictsRequest, ConflictsReply } from './conflicts-messages.js';
export { membersCodecs } from './members-messages.js';
export type { FrontendAnnouncement, MembersRequest, MembersReply, MemberChangeKind, MemberChangeRequest, MemberChangeReply, BandReserve, BandReply, MemberJoin, MemberJoinReply, MemberTableEntry, SnapshotRequest, SnapshotChunk } from './members-messages.js';
export { cutCodecs } from './cut-messages.js';
export type { CutBallot, CutBaseChunk, CutBaseRequest, CutNotice, CutOp, CutProposal, CutReply, CutRequest } from './cut-messages.js';
export { authCodecs, tokenIdBytes } from './auth-messages.js';
export type { AuthState, AuthStateRequest, TokenUses } from './auth-messages.js';
