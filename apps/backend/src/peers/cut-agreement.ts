// The agreement on a history cut as the backend runs it (docs/ARCHITECTURE.md
// §8.10, 1; wiring step 3b): this member's acceptor, restored from the load,
// answering on the `cut` subject behind the peer checks; its states carried
// by the apply loop's next append; and its proposer, which a due batch calls
// when ECKD_CUT_WITH_PEERS is on (cut-coordinator.ts), and which this member
// calls itself with a value it accepted when no decision comes
// (cut-decision-wait.ts).
import type { ClusterSubjects, CutAcceptorState, CutProposal, NodeIdentity } from '@eckd/change-codec';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { NodeState } from '../write-application.js';
import { CutAcceptor } from './cut-acceptor.js';
import { CutDecisionWait } from './cut-decision-wait.js';
import { CutLink } from './cut-link.js';
import { CutProposer } from './cut-proposer.js';
import type { CutAgreementLimits } from './cut-proposer.js';
import { holdsHeads } from './held-heads.js';
import type { MemberSet } from './member-set.js';
import type { PeerLink, PeerMember } from './peer-link.js';

/** A voter's state taken into a batch: its append carries it, and `settle` hands over that append's outcome. */
export interface CutAcceptorToStore {
  state: CutAcceptorState;
  /** Called with the batch's append: the acceptor's `persist` resolves once it committed, rejects if it failed. */
  settle(stored: Promise<void>): void;
}

export interface CutAgreementOptions {
  messenger: Messenger;
  subjects: ClusterSubjects;
  identity: NodeIdentity;
  self: PeerMember;
  /** The replication's link: the member, cluster and lineage checks of every peer message. */
  link: PeerLink;
  /** The member set as the apply loop keeps it: who votes, who hears a decision. */
  members: MemberSet;
  state: NodeState;
  limits: CutAgreementLimits;
  /** The states the load returned (LoadChunk.cut_acceptor_states). */
  stored: readonly CutAcceptorState[];
  /** The decision that made this member's lineage, from its cut record (LoadChunk.cut_record), if a cut did. */
  recorded?: CutProposal;
  /** Starts the apply loop when it is idle: a state waits for an append. */
  wake: () => void;
  /** A decision heard (once per cut, also this member's own proposer's): the switch acts on it (cut-coordinator.ts). */
  onDecided?: (proposal: CutProposal) => void;
  log: Logger;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CutAgreement {
  readonly acceptor: CutAcceptor;
  readonly link: CutLink;
  /** This member's proposer: what a due batch calls (cut-coordinator.ts, with ECKD_CUT_WITH_PEERS on). */
  readonly proposer: CutProposer;
  /** The voters of the member set now, this member included (learners and members not started are not). */
  readonly voters: () => readonly PeerMember[];
  /**
   * States waiting for an append, per (lineage, cut): the latest one, and
   * everyone waiting for it or an earlier one (a later state holds every
   * earlier promise). The acceptor changes one state at a time, so there is
   * at most one in practice.
   */
  readonly #toStore = new Map<string, { state: CutAcceptorState; waiters: Waiter[] }>();
  readonly #opts: CutAgreementOptions;
  /** an accepted value without a decision: this member runs a prepare itself (§8.10, 1) */
  readonly #decisionWait: CutDecisionWait;

  constructor(opts: CutAgreementOptions) {
    this.#opts = opts;
    const { members, self } = opts;
    const named = () => members.all().filter((m) => !m.removed && m.name !== '');
    this.acceptor = new CutAcceptor({
      isVoter: () => {
        const own = members.known(self.id);
        return own !== undefined && !own.removed && !own.learner;
      },
      holds: (heads) => holdsHeads(this.#opts.state.doc, heads),
      persist: (state) => this.#persist(state),
      roundTimeoutMs: opts.limits.roundTimeoutMs,
      stored: opts.stored,
      recorded: opts.recorded,
      onDecided: (proposal) => {
        this.proposer.heard(proposal);
        this.#decisionWait.decided(proposal);
        opts.onDecided?.(proposal);
      },
      onAccepted: (proposal) => this.#decisionWait.accepted(proposal),
      log: opts.log,
    });
    this.link = new CutLink({
      messenger: opts.messenger,
      subjects: opts.subjects,
      identity: opts.identity,
      self,
      link: opts.link,
      lineage: () => opts.state.doc.lineage(),
      acceptor: this.acceptor,
      log: opts.log,
    });
    // A member added but not started has no name and cannot be asked: it is left out until it joins.
    this.voters = () => named().filter((m) => !m.learner);
    this.proposer = new CutProposer({
      self,
      voters: this.voters,
      members: named,
      ask: (to, step, timeoutMs) => this.link.ask(to, step, timeoutMs),
      learned: (proposal) => this.acceptor.decided(proposal),
      limits: opts.limits,
      log: opts.log,
    });
    this.#decisionWait = new CutDecisionWait({
      proposer: this.proposer,
      decision: (lineage, cut) => this.acceptor.decision(lineage, cut),
      isNextCut: (proposal) => {
        const lineage = opts.state.doc.lineage();
        return proposal.lineage === lineage.id && Number(proposal.cut) === lineage.cut + 1;
      },
      roundTimeoutMs: opts.limits.roundTimeoutMs,
      log: opts.log,
    });
  }

  start(): void {
    this.link.start();
    // A restart between accepting and hearing the decision: the stored acceptance waits for it as a fresh one does.
    for (const state of this.#opts.stored) if (state.accepted?.proposal) this.#decisionWait.accepted(state.accepted.proposal);
  }

  stop(): void {
    this.#decisionWait.stop();
    this.link.stop();
    this.proposer.stop();
    this.acceptor.close();
  }

  /** A voter's state waits for an append. */
  hasWork(): boolean {
    return this.#toStore.size > 0;
  }

  /** One state for the batch being evaluated (an append carries one); the others wait for the next batches. */
  toStore(): CutAcceptorToStore | undefined {
    const next = this.#toStore.entries().next();
    if (next.done) return undefined;
    const [key, { state, waiters }] = next.value;
    this.#toStore.delete(key);
    return {
      state,
      settle: (stored) =>
        stored.then(
          () => waiters.forEach((w) => w.resolve()),
          (err: unknown) => waiters.forEach((w) => w.reject(err)),
        ),
    };
  }

  /** A batch was applied: an accept waiting for its cut point looks again. */
  heldChanged(): void {
    this.acceptor.heldChanged();
  }

  #persist(state: CutAcceptorState): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${state.lineage}/${String(state.cut)}`;
      const waiting = this.#toStore.get(key);
      if (waiting) {
        waiting.state = state;
        waiting.waiters.push({ resolve, reject });
      } else {
        this.#toStore.set(key, { state, waiters: [{ resolve, reject }] });
      }
      this.#opts.wake();
    });
  }
}
