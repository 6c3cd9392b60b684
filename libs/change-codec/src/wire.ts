// Encoding and decoding of the wire messages (proto/eckd/wire/v1).
// Decoded objects have the same shape as the etcd objects that
// @grpc/proto-loader hands to the gRPC handlers (snake_case, int64 as
// decimal strings, enums as names, bytes as Buffers, oneof discriminators),
// so etcd requests pass from gRPC to the backend without conversion.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadProtoWithEtcdImports } from '@eckd/etcd-proto';
import type { Type, IConversionOptions } from 'protobufjs';

const packageJson = createRequire(import.meta.url).resolve('@eckd/change-codec/package.json');
const wireProtoDir = join(dirname(packageJson), 'proto');

const conversion: IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export class WireDecodeError extends Error {
  override name = 'WireDecodeError';
}

export interface WireCodec<T> {
  readonly typeName: string;
  encode(message: T): Uint8Array;
  /** Throws WireDecodeError on malformed bytes. */
  decode(bytes: Uint8Array): T;
}

let types: Map<string, Type> | undefined;

function wireType(name: string): Type {
  if (!types) {
    const root = loadProtoWithEtcdImports(['eckd/wire/v1/wire.proto', 'eckd/wire/v1/maintenance.proto', 'eckd/wire/v1/conflicts.proto', 'eckd/wire/v1/members.proto', 'eckd/wire/v1/auth.proto', 'eckd/wire/v1/cut.proto'], [wireProtoDir]);
    types = new Map();
    for (const t of [
      'WireError', 'Proposal', 'ProposeRequest', 'ProposalResult', 'ProposeReply',
      'ReadIndexRequest', 'ReadIndexReply', 'RevisionPatch', 'PatchBatch', 'SyncRequest',
      'SyncChunk', 'AppendRequest', 'Rebase', 'AppendReply', 'PeerChange', 'PeerSyncState', 'PeerChanges', 'PeerSync', 'PeerStored', 'LoadRequest', 'LoadChunk', 'BackendTakeover', 'NodeIdentity',
      'LoadSnapshot', 'SnapshotIndex', 'CompactorRunRequest', 'CompactorRunReply',
      'MaintenanceRequest', 'NodeStatus', 'MaintenanceReply', 'MaintenanceState', 'StorageStatusRequest',
      'StorageDefragmentRequest', 'StorageRequest', 'StorageReply', 'BackupRequest', 'BackupChunk', 'BackupFile', 'BackupRows',
      'ConflictsRequest', 'ConflictsReply',
      'FrontendApplied', 'MemberStored', 'PeerStoredRevisions',
      'FrontendAnnouncement', 'MembersRequest', 'MembersReply', 'MemberChangeRequest', 'MemberChangeReply', 'BandReserve', 'BandReply', 'MemberJoin', 'MemberTableEntry', 'MemberJoinReply', 'SnapshotRequest', 'SnapshotChunk',
      'AuthChange', 'AuthChangeResult', 'AuthStateRequest', 'AuthState', 'TokenUses',
      'CutBallot', 'CutProposal', 'CutRequest', 'CutReply', 'CutBaseRequest', 'CutActorSeq', 'CutBaseChunk', 'CutNotice',
    ]) {
      types.set(t, root.lookupType(`eckd.wire.v1.${t}`));
    }
  }
  const type = types.get(name);
  if (!type) throw new Error(`change-codec: unknown wire type ${name}`);
  return type;
}

export function wireCodec<T>(name: string): WireCodec<T> {
  let type: Type | undefined;
  const resolved = () => (type ??= wireType(name));
  return Object.freeze({
    typeName: `eckd.wire.v1.${name}`,
    encode(message: T): Uint8Array {
      const t = resolved();
      return t.encode(t.fromObject(message as object)).finish();
    },
    decode(bytes: Uint8Array): T {
      const t = resolved();
      try {
        return t.toObject(t.decode(bytes), conversion) as T;
      } catch (cause) {
        throw new WireDecodeError(`change-codec: malformed ${name}: ${(cause as Error).message}`, { cause });
      }
    },
  });
}
