// etcdserverpb.Cluster. MemberList asks the node's backend, which knows
// this node's frontends (each announces its client URLs) and, with peers,
// the member table (docs/ARCHITECTURE.md §8.5). MemberAdd, MemberRemove,
// MemberUpdate and MemberPromote ask the backend to change the member table,
// then answer the member list as etcd does (MemberAdd also the new member).
import { membersCodecs, validated, validators } from '@eckd/change-codec';
import type { MemberChangeKind, MembersReply, NodeSubjects } from '@eckd/change-codec';
import type { ClusterHandlers } from '@eckd/etcd-proto';
import type { Logger, Messenger } from '@eckd/service-kit';
import { responseHeader } from './header.js';
import type { Replica } from './replica.js';
import { EtcdRpcError } from './to-grpc-error.js';
import { unary } from './unary.js';
import type { AuthGuard } from './auth/auth-guard.js';

export interface ClusterDeps {
  replica: Replica;
  /** the permission check (auth/auth-guard.ts): member changes are root's, as etcd's checkMembershipOperationPermission */
  guard: AuthGuard;
  messenger: Messenger;
  subjects: Pick<NodeSubjects, 'members' | 'memberChange'>;
  requestTimeoutMs: number;
  log: Logger;
}

export function clusterHandlers(deps: ClusterDeps): ClusterHandlers {
  return {
    MemberList: unary('MemberList', deps.log, async () => {
      const { members } = await askMembers(deps);
      // etcd's Cluster responses carry no revision (etcdserver/api/v3rpc/member.go, ClusterServer.header).
      return { header: responseHeader(deps.replica, 0), members };
    }),
    MemberAdd: unary('MemberAdd', deps.log, async (req: { peerURLs: string[]; isLearner: boolean }, caller) => {
      deps.guard.admin(caller);
      const { id, response: { header, members } } = await changed(deps, 'ADD', '0', req.peerURLs ?? [], req.isLearner === true);
      // The new member as etcd answers it: no name and no client URLs until it starts.
      const member = members.find((m) => String(m.ID) === id) ?? { ID: id, name: '', peerURLs: [...new Set(req.peerURLs)].sort(), clientURLs: [], isLearner: req.isLearner === true };
      return { header, member, members };
    }),
    MemberRemove: unary('MemberRemove', deps.log, async (req: { ID: string }, caller) => {
      deps.guard.admin(caller);
      return (await changed(deps, 'REMOVE', req.ID)).response;
    }),
    MemberUpdate: unary('MemberUpdate', deps.log, async (req: { ID: string; peerURLs: string[] }, caller) => {
      deps.guard.admin(caller);
      return (await changed(deps, 'UPDATE', req.ID, req.peerURLs)).response;
    }),
    MemberPromote: unary('MemberPromote', deps.log, async (req: { ID: string }, caller) => {
      deps.guard.admin(caller);
      return (await changed(deps, 'PROMOTE', req.ID)).response;
    }),
  };
}

/** Makes the change on the backend, then answers etcd's response (the header and the member list after it) and, for an add, the new member's id. */
async function changed(deps: ClusterDeps, kind: MemberChangeKind, id: string, peerUrls: string[] = [], isLearner = false) {
  let reply;
  try {
    const msg = await deps.messenger.request(deps.subjects.memberChange, membersCodecs.memberChangeRequest.encode({ kind, id: String(id), peer_urls: peerUrls, is_learner: isLearner }), {
      timeoutMs: deps.requestTimeoutMs,
    });
    reply = membersCodecs.memberChangeReply.decode(msg.data);
  } catch (err) {
    throw new EtcdRpcError('Timeout', `backend member change: ${(err as Error).message}`);
  }
  if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
  const { members } = await askMembers(deps);
  return { id: String(reply.id ?? '0'), response: { header: responseHeader(deps.replica, 0), members } };
}

async function askMembers(deps: ClusterDeps): Promise<MembersReply> {
  let reply: MembersReply;
  try {
    const msg = await deps.messenger.request(deps.subjects.members, membersCodecs.membersRequest.encode({}), { timeoutMs: deps.requestTimeoutMs });
    reply = validated(membersCodecs.membersReply.decode(msg.data), validators.membersReply);
  } catch (err) {
    throw new EtcdRpcError('Timeout', `backend members: ${(err as Error).message}`);
  }
  if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
  return reply;
}

/** Announces this frontend's client URLs to its backend now and every `intervalMs`; returns the stop function. */
export function startFrontendAnnouncements(
  messenger: Messenger,
  subject: string,
  frontend: { frontendId: string; clientUrls: string[]; name: string },
  intervalMs: number,
): () => void {
  const announce = () =>
    messenger.publish(subject, membersCodecs.frontendAnnouncement.encode({ frontend_id: frontend.frontendId, client_urls: frontend.clientUrls, name: frontend.name }));
  announce();
  const timer = setInterval(announce, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
