// The backend's side of MemberAdd, MemberRemove, MemberUpdate and MemberPromote
// (docs/ARCHITECTURE.md §8.5): with peers the replication writes the new
// member record in the apply loop and this answers once it is appended; a
// single node has no member table, so it only answers what etcd answers a
// one-member cluster (its own removal is refused, as etcd keeps a voter).
import { membersCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { MemberChangeReply, MemberChangeRequest, WireError } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message } from '@eckd/service-kit';

/** Makes a change with peers (PeerReplication.changeMember); undefined on a single node. */
export type MemberChanger = ((change: MemberChangeRequest) => Promise<MemberChangeReply>) | undefined;

export function handleMemberChange(changeMember: MemberChanger, selfId: string, log: Logger): (msg: Message) => void {
  return (msg) => {
    let change: MemberChangeRequest;
    try {
      change = decodeChecked(msg, membersCodecs.memberChangeRequest, validators.memberChangeRequest, log);
    } catch (err) {
      msg.respond(membersCodecs.memberChangeReply.encode({ error: unknownWireError(err) }));
      return;
    }
    const answer = changeMember ? changeMember(change) : Promise.resolve({ error: singleNodeAnswer(change, selfId) });
    void answer.then(
      (reply) => msg.respond(membersCodecs.memberChangeReply.encode(reply)),
      (err: unknown) => {
        log.warn('member change failed', { err });
        msg.respond(membersCodecs.memberChangeReply.encode({ error: unknownWireError(err) } satisfies MemberChangeReply));
      },
    );
  };
}

/**
 * A single node: every other id is unknown; it cannot remove itself, is no
 * learner, has no record to hold peer URLs, and has no member table to add
 * a member to (a cluster is started with ECKD_INITIAL_CLUSTER).
 */
export function singleNodeAnswer(change: MemberChangeRequest, selfId: string): WireError {
  const error = (name: keyof typeof rpcErrors): WireError => ({ name, message: rpcErrors[name].message });
  if (change.kind === 'ADD') return error('NotCapable');
  if (String(change.id) !== selfId) return error('MemberNotFound');
  if (change.kind === 'REMOVE') return error('MemberNotEnoughStarted');
  if (change.kind === 'PROMOTE') return error('MemberNotLearner');
  return error('NotCapable');
}
