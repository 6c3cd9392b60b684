// etcd's ResponseHeader for this node: ids and term come from the backend
// (through the replica), the revision from the caller (a write's own).
import type { Int64, Proposal, ProposalResult } from '@eckd/change-codec';
import { proposeAcknowledged } from './acknowledged-proposal.js';
import type { Acknowledger } from './acknowledger.js';
import type { Proposer } from './proposer.js';
import type { Replica } from './replica.js';

/** A ResponseHeader with every field set; a type alias, so the watch path's plain-object encoders take it too. */
export type NodeHeader = { cluster_id: Int64; member_id: Int64; revision: number; raft_term: Int64 };

export function responseHeader(replica: Replica, revision: number): NodeHeader {
  const id = replica.identity;
  return { cluster_id: id?.cluster_id ?? 0, member_id: id?.member_id ?? 0, revision, raft_term: id?.raft_term ?? 0 };
}

/** Proposes through the backend (acknowledged): the result, and this node's header at its revision. */
export async function proposeWithHeader(
  deps: { replica: Replica; proposer: Proposer; acknowledger: Acknowledger },
  proposal: Omit<Proposal, 'id'>,
  approxBytes: number,
): Promise<{ result: ProposalResult; header: NodeHeader }> {
  const { result, revision } = await proposeAcknowledged(deps, proposal, approxBytes);
  return { result, header: responseHeader(deps.replica, revision) };
}
