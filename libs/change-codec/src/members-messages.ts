// The version 1 messages of etcd's Cluster service between processes
// (proto/eckd/wire/v1/members.proto), and one codec each. Members are
// etcd's own message, in etcd-proto's decoded form.
import type { Member__Output } from '@eckd/etcd-proto';
import type { WireError } from './messages.js';
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

export type MemberChangeKind = 'REMOVE' | 'UPDATE' | 'PROMOTE';

export interface MemberChangeRequest {
  kind: MemberChangeKind;
  /** the member changed, uint64 as a decimal string */
  id: string;
  peer_urls: string[];
}

export interface MemberChangeReply {
  error?: WireError | null;
}

export const membersCodecs = Object.freeze({
  frontendAnnouncement: wireCodec<FrontendAnnouncement>('FrontendAnnouncement'),
  membersRequest: wireCodec<MembersRequest>('MembersRequest'),
  membersReply: wireCodec<MembersReply>('MembersReply'),
  memberChangeRequest: wireCodec<MemberChangeRequest>('MemberChangeRequest'),
  memberChangeReply: wireCodec<MemberChangeReply>('MemberChangeReply'),
});
