// An acceptor's own prepare when no decision comes (docs/ARCHITECTURE.md
// §8.10, 1): a voter that accepted a value of its lineage's next cut and
// hears no decision (the proposer was killed,
// or its `decided` lost) runs the proposer itself with that value. It waits
// two round timeouts (×[1, 2)): a live proposer may still be in its accept
// phase when this voter accepted, and then announces, each up to one. A higher
// ballot's promises give back any value a majority may have chosen, so the
// call completes that one, never another; a voter that knows the decision
// answers with it and the call ends at once. Also after a restart whose
// stored state holds such an acceptance. At most one wait per cut, one call
// (ECKD_CUT_ROUNDS_MAX rounds) per wait, none while this member's own call
// for that cut runs.
import type { CutProposal } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';
import type { CutProposer } from './cut-proposer.js';

export interface CutDecisionWaitOptions {
  proposer: Pick<CutProposer, 'propose' | 'running'>;
  /** The decision heard for a cut, if any (CutAcceptor.decision). */
  decision: (lineage: string, cut: string) => CutProposal | undefined;
  /** Whether a proposal is of this member's lineage's next cut (a member that moved on lets it be). */
  isNextCut: (proposal: CutProposal) => boolean;
  /** ECKD_CUT_ROUND_TIMEOUT_MS: the wait is twice it, jittered ×[1, 2) */
  roundTimeoutMs: number;
  log: Logger;
  /** [0, 1): the jitter */
  random?: () => number;
}

const keyOf = (p: CutProposal) => `${p.lineage}/${p.cut}`;

export class CutDecisionWait {
  readonly #opts: CutDecisionWaitOptions;
  /** per (lineage, cut) accepted without a decision: the wait before this member runs a prepare itself */
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(opts: CutDecisionWaitOptions) {
    this.#opts = opts;
  }

  /** A value accepted (or restored accepted): its decision is waited for. */
  accepted(proposal: CutProposal): void {
    const key = keyOf(proposal);
    if (this.#stopped || this.#timers.has(key) || !this.#opts.isNextCut(proposal) || this.#opts.decision(proposal.lineage, proposal.cut)) return;
    const delay = 2 * this.#opts.roundTimeoutMs * (1 + (this.#opts.random ?? Math.random)());
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.#prepare(proposal);
      }, delay),
    );
  }

  /** A decision heard: its cut's wait ends. */
  decided(proposal: CutProposal): void {
    const key = keyOf(proposal);
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #prepare(accepted: CutProposal): void {
    const { proposer, log } = this.#opts;
    if (this.#stopped || !this.#opts.isNextCut(accepted) || this.#opts.decision(accepted.lineage, accepted.cut) || proposer.running(accepted.lineage, accepted.cut)) return;
    log.info('no cut decision heard; running a prepare', { lineage: accepted.lineage, cut: accepted.cut, proposer: accepted.proposer });
    // What it ends with reaches this member's acceptor either way: announced to every member, or learned from a voter's reply.
    proposer.propose(accepted).catch((err: unknown) => log.error('cut prepare failed', { lineage: accepted.lineage, cut: accepted.cut, err }));
  }
}
