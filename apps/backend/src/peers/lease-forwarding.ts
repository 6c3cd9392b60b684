// KeepAlive, TimeToLive and Revoke of another member's lease go to that
// member, the lease's owner, whose clock and lease store hold it
// (docs/ARCHITECTURE.md §8.6). The asking side takes those proposals out
// of a frontend's request on arrival and sends them, grouped by owner, on
// peers.<owner>.lease.v1; the owner's side hands a forwarded request to its
// apply loop, which answers it as it answers its own frontends.
import { codecs, validated, validators } from '@eckd/change-codec';
import type { ClusterSubjects, LeaseOp, NodeIdentity, Proposal, ProposalResult, ProposeReply, ProposeRequest, WireError } from '@eckd/change-codec';
import { toLeaseId } from '@eckd/mvcc';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';
import type { LeaseForwardLimits } from './peer-config.js';
import type { PeerMember } from './peer-link.js';

/** The lease operations an owner answers for other members; grants and LeaseLeases are answered where they arrive. */
export const forwardedLeaseOps: readonly LeaseOp[] = ['lease_keep_alive', 'lease_time_to_live', 'lease_revoke'];

export interface LeaseForwardingOptions {
  messenger: Messenger;
  subjects: ClusterSubjects;
  identity: NodeIdentity;
  self: PeerMember;
  limits: LeaseForwardLimits;
  /** The current peer owning this lease, or undefined: evaluated here (its own, unknown, or a member that is no peer). */
  ownerOf(leaseId: string): PeerMember | undefined;
  /** The current peer with this member id (decimal): only peers are answered. */
  peer(id: string): PeerMember | undefined;
  /** Whether a lease record is still in this member's document: a forwarded revoke is answered once its deletion arrived here. */
  hasLeaseRecord(leaseId: string): boolean;
  /** This member's revision now: the header revision of a forwarded answer (the owner's is of another band). */
  revision(): number;
  /** A revoke checked by the frontend at an auth revision this member has moved past: the reason, else undefined (§5g). */
  staleAuth(p: Proposal): string | undefined;
  log: Logger;
}

/** How often a forwarded revoke looks for its deletion in this member's document. */
const revokeArrivalPollMs = 10;

export class LeaseForwarding {
  readonly #opts: LeaseForwardingOptions;
  #inFlight = 0;
  /** forwards answered by `Timeout` (owner silent or unreachable), for the log */
  #unanswered = 0;

  constructor(opts: LeaseForwardingOptions) {
    this.#opts = opts;
  }

  /**
   * Takes out of `request` the proposals to forward: undefined if none; else
   * what is left to evaluate here (undefined: nothing) and the forwarded
   * proposals' results, which never reject.
   */
  split(request: ProposeRequest): { local: ProposeRequest | undefined; forwarded: Promise<ProposalResult[]> } | undefined {
    const byOwner = new Map<string, { owner: PeerMember; proposals: Proposal[] }>();
    const local: Proposal[] = [];
    const refused: ProposalResult[] = [];
    for (const p of request.proposals) {
      const owner = this.#ownerOfProposal(p);
      if (!owner) {
        local.push(p);
        continue;
      }
      // The owner does not check auth again (the members' auth revisions differ): a stale check is refused here, as locally.
      const stale = this.#opts.staleAuth(p);
      if (stale) {
        refused.push(this.#failed(p, { name: 'AuthOldRevision', message: stale }));
        continue;
      }
      const group = byOwner.get(owner.id) ?? { owner, proposals: [] };
      group.proposals.push(p);
      byOwner.set(owner.id, group);
    }
    if (byOwner.size === 0 && refused.length === 0) return undefined;
    const deadlineMs = Number(request.deadline_ms ?? 0) || Date.now() + this.#opts.limits.timeoutMs;
    const forwarded = Promise.all([...byOwner.values()].map(({ owner, proposals }) => this.#forward(owner, proposals, deadlineMs)));
    return { local: local.length > 0 ? { ...request, proposals: local } : undefined, forwarded: forwarded.then((groups) => [...refused, ...groups.flat()]) };
  }

  /** Answers forwards of this member's leases: `evaluate` queues the request as the apply loop queues a frontend's. */
  serve(evaluate: (msg: Message, request: ProposeRequest) => void): { unsubscribe(): void } {
    const { messenger, subjects, self, log } = this.#opts;
    return messenger.subscribe(subjects.lease(self.name), (msg) => {
      let forward;
      try {
        forward = decodeChecked(msg, codecs.leaseForward, validators.leaseForward, log);
      } catch {
        return; // logged and counted; the asker times out
      }
      // Only a current peer of this cluster is answered, as every peer message (peer-link.ts).
      if (String(forward.cluster_id) !== String(this.#opts.identity.cluster_id) || !this.#opts.peer(String(forward.from))) {
        log.warn('lease forward from an unknown member dropped', { from: String(forward.from), cluster: String(forward.cluster_id) });
        return;
      }
      const other = forward.request.proposals.find((p) => !forwardedLeaseOps.some((op) => p[op]));
      if (other) {
        msg.respond(codecs.proposeReply.encode({ results: [], error: { name: 'NotCapable', message: `backend: proposal ${String(other.id)} is no forwarded lease operation` } }));
        return;
      }
      evaluate(msg, forward.request);
    });
  }

  #ownerOfProposal(p: Proposal): PeerMember | undefined {
    const op = forwardedLeaseOps.find((o) => p[o]);
    if (!op) return undefined;
    const id = toLeaseId((p[op] as { ID?: string | number }).ID);
    return this.#opts.ownerOf(id);
  }

  async #forward(owner: PeerMember, proposals: Proposal[], deadlineMs: number): Promise<ProposalResult[]> {
    const refused = (error: WireError) => proposals.map((p) => this.#failed(p, error));
    const { forwardsMax } = this.#opts.limits;
    if (this.#inFlight >= forwardsMax) return refused({ name: 'TooManyRequests', message: `backend: ${this.#inFlight} lease forwards in flight, ECKD_LEASE_FORWARDS_MAX is ${forwardsMax}` });
    this.#inFlight++;
    try {
      const reply = await this.#ask(owner, proposals, deadlineMs);
      if (reply.error) return refused(reply.error);
      return await Promise.all(reply.results.map((r) => this.#localized(r, proposals, deadlineMs)));
    } catch (err) {
      this.#unanswered++;
      this.#opts.log.warn('lease forward not answered', { owner: owner.name, proposals: proposals.length, unanswered: this.#unanswered, err });
      return refused({ name: 'Timeout', message: `backend: lease owner ${owner.name} did not answer` });
    } finally {
      this.#inFlight--;
    }
  }

  async #ask(owner: PeerMember, proposals: Proposal[], deadlineMs: number): Promise<ProposeReply> {
    const { identity, self, messenger, subjects } = this.#opts;
    const request: ProposeRequest = { frontend_id: `peer/${self.name}`, proposals, deadline_ms: deadlineMs };
    const payload = codecs.leaseForward.encode({ cluster_id: identity.cluster_id, from: identity.member_id, request });
    const msg = await messenger.request(subjects.lease(owner.name), payload, { timeoutMs: Math.max(1, deadlineMs - Date.now()) });
    return validated(codecs.proposeReply.decode(msg.data), validators.proposeReply);
  }

  /**
   * The owner's result with this member's revision: the frontend waits for
   * its replica to reach it. A revoke's answer waits (until the deadline)
   * for the revoke's change to reach this member, so a read here after it
   * no longer sees the lease's keys.
   */
  async #localized(result: ProposalResult, proposals: Proposal[], deadlineMs: number): Promise<ProposalResult> {
    const asked = proposals.find((p) => String(p.id) === String(result.id));
    if (asked?.lease_revoke && result.result === 'lease_revoke') {
      const id = toLeaseId(asked.lease_revoke.ID);
      while (this.#opts.hasLeaseRecord(id) && Date.now() < deadlineMs) await new Promise((resolve) => setTimeout(resolve, revokeArrivalPollMs));
    }
    return { ...result, revision: this.#opts.revision() };
  }

  #failed(p: Proposal, error: WireError): ProposalResult {
    return { id: p.id, revision: this.#opts.revision(), result: 'error', error };
  }
}
