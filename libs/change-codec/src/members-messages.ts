// The version 1 messages of etcd's Cluster service between processes
// (proto/eckd/wire/v1/members.proto), and one codec each. Members are
// etcd's own message, in etcd-proto's decoded form.
import type { Member__Output } from '@eckd/etcd-proto';
import type { LineageStamp, PeerSyncState, WireError } from './messages.js';
import { wireCodec } from './wire.js';

export interface FrontendAnnouncement {
  frontend_id: string;
  client_urls: string[];
  name: string;
}

export type MembersRequest = Record<string, never>;

export interface MembersReply {
  members: Member__Output[];
  error?: WireError | null;
}

export type MemberChangeKind = 'REMOVE' | 'UPDATE' | 'PROMOTE' | 'ADD';

export interface MemberChangeRequest {
  kind: MemberChangeKind;
  /** the member changed, uint64 as a decimal string; '0' for ADD (the backend mints the id) */
  id: string;
  peer_urls: string[];
  /** ADD only */
  is_learner?: boolean;
}

export interface MemberChangeReply {
  error?: WireError | null;
  /** ADD: the new member's id, decimal */
  id?: string;
}

/** peers.<member>.members.v1: the adder asks a voter to reserve `band` for the new `member`. */
export interface BandReserve {
  cluster_id: string;
  from: string;
  band: number;
  member: string;
}

export interface BandReply {
  granted: boolean;
  /** refused: the member id the band is held for, '0' if none known */
  holder: string;
}

/** peers.<member>.join.v1: a started node asks its ECKD_JOIN member for its record and the table. */
export interface MemberJoin {
  cluster_id: string;
  name: string;
  peer_url: string;
}

export interface MemberTableEntry {
  /** uint64, decimal */
  id: string;
  name: string;
  band: number;
  peer_urls: string[];
  learner: boolean;
  removed: boolean;
}

export interface MemberJoinReply {
  error?: WireError | null;
  members: MemberTableEntry[];
}

/** peers.<member>.snapshot.v1: a member with an empty database asks a peer for its saved document. */
export interface SnapshotRequest {
  cluster_id: string;
  from: string;
}

/** One piece of the saved document; the first also carries its heads, its size and the server's sync states with its other peers. */
export interface SnapshotChunk extends LineageStamp {
  index: number;
  done: boolean;
  error?: WireError | null;
  document: Uint8Array;
  heads: string[];
  document_bytes: string | number;
  peer_sync_states: PeerSyncState[];
}

export const membersCodecs = Object.freeze({
  frontendAnnouncement: wireCodec<FrontendAnnouncement>('FrontendAnnouncement'),
  membersRequest: wireCodec<MembersRequest>('MembersRequest'),
  membersReply: wireCodec<MembersReply>('MembersReply'),
  memberChangeRequest: wireCodec<MemberChangeRequest>('MemberChangeRequest'),
  memberChangeReply: wireCodec<MemberChangeReply>('MemberChangeReply'),
  bandReserve: wireCodec<BandReserve>('BandReserve'),
  bandReply: wireCodec<BandReply>('BandReply'),
  memberJoin: wireCodec<MemberJoin>('MemberJoin'),
  memberJoinReply: wireCodec<MemberJoinReply>('MemberJoinReply'),
  snapshotRequest: wireCodec<SnapshotRequest>('SnapshotRequest'),
  snapshotChunk: wireCodec<SnapshotChunk>('SnapshotChunk'),
});
