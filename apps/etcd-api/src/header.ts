// etcd's ResponseHeader for this node: ids and term come from the backend
// (through the replica), the revision from the caller.
import type { Replica } from './replica.js';

export function responseHeader(replica: Replica, revision: number): Record<string, unknown> {
  const id = replica.identity;
  return { cluster_id: id?.cluster_id ?? 0, member_id: id?.member_id ?? 0, revision, raft_term: id?.raft_term ?? 0 };
}
