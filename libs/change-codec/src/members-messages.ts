// The version 1 messages of etcd's Cluster service between processes
// (proto/eckd/wire/v1/members.proto), and one codec each.
import type { Int64, WireError } from './messages.js';
import { wireCodec } from './wire.js';

export interface FrontendAnnouncement {
  frontend_id: string;
  client_urls: string[];
  name: string;
}

export type MembersRequest = Record<string, never>;

/** etcdserverpb.Member's fields as eckd knows them. */
export interface MemberInfo {
  id: Int64;
  name: string;
  peer_urls: string[];
  client_urls: string[];
  is_learner: boolean;
}

export interface MembersReply {
  members: MemberInfo[];
  error?: WireError | null;
}

export const membersCodecs = Object.freeze({
  frontendAnnouncement: wireCodec<FrontendAnnouncement>('FrontendAnnouncement'),
  membersRequest: wireCodec<MembersRequest>('MembersRequest'),
  membersReply: wireCodec<MembersReply>('MembersReply'),
});
