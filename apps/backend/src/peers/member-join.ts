// A node joining a running cluster (docs/ARCHITECTURE.md §8.5). MemberAdd
// wrote a record without a name; the new node, started with
// ECKD_INITIAL_CLUSTER_STATE=existing, asks its ECKD_JOIN member: that member
// writes the node's name into the record holding its ECKD_PEER_URL (so every
// member can address it once the record replicates) and answers the member
// table, from which the node takes its id, its band and its peers before it
// recovers. A restarted node finds its record in its own Postgres and asks
// nobody (cluster-start.ts).
import type { MemberRecord } from '@eckd/automerge-doc';
import { membersCodecs, validated, validators } from '@eckd/change-codec';
import type { ClusterSubjects, MemberJoin, MemberJoinReply, MemberTableEntry, WireError } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import type { Messenger } from '@eckd/service-kit';
import type { MemberSet } from './member-set.js';
import type { PeerMember } from './peer-link.js';

const refusal = (name: keyof typeof rpcErrors): { error: WireError } => ({ error: { name, message: rpcErrors[name].message } });

/** The record to write (the joiner's name in it), the record as it stands (a restart), or the error refusing the join. */
export function decideJoin(join: MemberJoin, table: readonly { id: string; record: MemberRecord }[], members: MemberSet): { idHex: string; record: MemberRecord; write: boolean } | { error: WireError } {
  if (members.selfRemoved) return refusal('Stopped');
  const found = table.find(({ record }) => record.peerUrls.includes(join.peer_url));
  // Not added (or not replicated here yet), or removed: etcd's answer to an unknown member.
  if (!found || found.record.removed) return refusal('MemberNotFound');
  if (found.record.name === join.name) return { idHex: found.id, record: found.record, write: false };
  if (found.record.name !== '') return refusal('PeerURLExist');
  // The name addresses the member's subjects: no other member may hold it.
  if (members.all().some((m) => m.name === join.name && m.idHex !== found.id)) return refusal('MemberExist');
  return { idHex: found.id, record: { ...found.record, name: join.name }, write: true };
}

/** The member table as the join answer carries it. */
export function memberTableOf(table: readonly { id: string; record: MemberRecord }[]): MemberTableEntry[] {
  return table.map(({ id, record }) => ({
    id: BigInt(`0x${id}`).toString(),
    name: record.name,
    band: record.band,
    peer_urls: record.peerUrls,
    learner: record.learner,
    removed: record.removed,
  }));
}

/** What the joiner learns: itself as the table says, and every other member it replicates with. */
export interface JoinedCluster {
  self: PeerMember & { learner: boolean; peerUrls: string[] };
  members: (PeerMember & { learner: boolean; removed: boolean; peerUrls: string[] })[];
}

/** The joiner's side: asks `join` once; throws on no answer or a refusal (the caller retries). */
export async function askToJoin(
  messenger: Messenger,
  subjects: ClusterSubjects,
  request: { clusterId: string; join: string; name: string; peerUrl: string },
  timeoutMs: number,
): Promise<JoinedCluster> {
  const msg = await messenger.request(subjects.join(request.join), membersCodecs.memberJoin.encode({ cluster_id: request.clusterId, name: request.name, peer_url: request.peerUrl }), { timeoutMs });
  const reply: MemberJoinReply = validated(membersCodecs.memberJoinReply.decode(msg.data), validators.memberJoinReply);
  if (reply.error) throw new Error(`${request.join} refused the join: ${reply.error.message}`);
  const joined = joinedClusterOf(reply.members, request.name, request.peerUrl);
  if (!joined) throw new Error(`${request.join} answered a member table without this node's record`);
  return joined;
}

/** The cluster as a member table shows it to the node named `name` with `peerUrl`; undefined if it holds no such record. */
export function joinedClusterOf(table: readonly MemberTableEntry[], name: string, peerUrl: string): JoinedCluster | undefined {
  const members = table.filter((m) => m.name !== '').map((m) => ({ name: m.name, id: String(m.id), band: m.band, learner: m.learner, removed: m.removed, peerUrls: m.peer_urls }));
  const self = members.find((m) => m.name === name && m.peerUrls.includes(peerUrl));
  return self ? { self, members } : undefined;
}

