// A voter's side of the agreement on a history cut (docs/ARCHITECTURE.md
// §8.10, 1): single-decree Paxos per (lineage, cut number). It promises a
// ballot not below any it promised, accepts a proposal under a ballot not
// below its promise once this member holds the proposal's cut point H (or
// refuses after waiting a round timeout for it), and persists its new state
// before it answers (the append carrying AppendRequest.cut_acceptor), so a
// SIGKILL cannot make it answer two ways. Its states come back from the load
// (LoadChunk.cut_acceptor_states).
import { compareCutBallots, unknownWireError } from '@eckd/change-codec';
import type { CutAcceptorState, CutBallot, CutProposal, CutReply } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';

/** What the acceptor answers; the link adds the responder's lineage. */
export type CutAnswer = Omit<CutReply, 'lineage' | 'cut'>;

export interface CutAcceptorOptions {
  /** Whether this member votes now: a learner or a removed member does not (member-set.ts). */
  isVoter: () => boolean;
  /** Whether this member's document holds every change of `heads` (H). */
  holds: (heads: readonly string[]) => boolean;
  /** Resolves once the append carrying `state` has committed, rejects if it did not. */
  persist: (state: CutAcceptorState) => Promise<void>;
  /** How long an accept waits for H before refusing (ECKD_CUT_ROUND_TIMEOUT_MS). */
  roundTimeoutMs: number;
  /** The states the load returned (LoadChunk.cut_acceptor_states). */
  stored?: readonly CutAcceptorState[];
  /**
   * The decision of the cut that made this member's lineage, from its cut
   * record (LoadChunk.cut_record): `status` answers it after a restart too,
   * so a laggard still learns it (§8.10, 6).
   */
  recorded?: CutProposal;
  /** A decision heard (`decided`), once per cut: what the switch acts on (§8.10, 4; cut-coordinator.ts). */
  onDecided?: (proposal: CutProposal) => void;
  /** A proposal accepted (and persisted): the agreement waits for its decision, and runs a prepare itself if none comes (cut-agreement.ts). */
  onAccepted?: (proposal: CutProposal) => void;
  log: Logger;
}

const keyOf = (lineage: string, cut: string | number) => `${lineage}/${String(cut)}`;

export class CutAcceptor {
  readonly #opts: CutAcceptorOptions;
  /**
   * Per (lineage, cut). Only the next cut of this member's own lineage passes
   * the lineage gate (cut-link.ts), so one entry grows per lineage, and
   * lineages change only by a switch.
   */
  readonly #states = new Map<string, CutAcceptorState>();
  readonly #decided = new Map<string, CutProposal>();
  /** accepts waiting for H: each re-checks when the document changed */
  readonly #waiting = new Set<(why: HeldCheck) => void>();
  /** state changes and their persistence, one at a time */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: CutAcceptorOptions) {
    this.#opts = opts;
    for (const state of opts.stored ?? []) this.#states.set(keyOf(state.lineage, state.cut), state);
    if (opts.recorded) this.#decided.set(keyOf(opts.recorded.lineage, opts.recorded.cut), opts.recorded);
  }

  /** This voter's state for one cut, as last persisted or being persisted. */
  state(lineage: string, cut: string | number): CutAcceptorState | undefined {
    return this.#states.get(keyOf(lineage, cut));
  }

  /** The decision heard for one cut, if any: the one lookup every answer about a decided cut reads. */
  decision(lineage: string, cut: string | number): CutProposal | undefined {
    return this.#decided.get(keyOf(lineage, cut));
  }

  /** Phase 1: promise `ballot` unless a higher one was promised; answers what was accepted before. */
  prepare(from: string, lineage: string, cut: string, ballot: CutBallot): Promise<CutAnswer> {
    const refusal = this.#alreadyDecided(lineage, cut) ?? this.#refusal(from, ballot);
    if (refusal) return Promise.resolve(refusal);
    return this.#serially(async () => {
      const state = this.state(lineage, cut);
      if (state?.promised && compareCutBallots(ballot, state.promised) < 0) return this.#refused(state);
      // An equal ballot is the same proposer's same round sent again: promising it again changes nothing.
      return this.#store({ lineage, cut, promised: ballot, accepted: state?.accepted ?? null });
    });
  }

  /** Phase 2: accept `proposal` under `ballot` unless a higher ballot was promised, once this member holds H. */
  async accept(from: string, ballot: CutBallot, proposal: CutProposal): Promise<CutAnswer> {
    const refusal = this.#alreadyDecided(proposal.lineage, proposal.cut) ?? this.#refusal(from, ballot) ?? this.#lowerThanPromised(proposal, ballot);
    if (refusal) return refusal;
    if (!(await this.#heldWithin(proposal.heads))) {
      this.#opts.log.warn('cut proposal refused: its cut point is not held', { lineage: proposal.lineage, cut: proposal.cut, heads: proposal.heads.length, waitedMs: this.#opts.roundTimeoutMs });
      return { ...this.#refused(this.state(proposal.lineage, proposal.cut)), error: unknownWireError(new Error('cut: this member does not hold the cut point')) };
    }
    return this.#serially(async () => {
      // A higher prepare may have come while it waited for H.
      const late = this.#alreadyDecided(proposal.lineage, proposal.cut) ?? this.#lowerThanPromised(proposal, ballot);
      if (late) return late;
      const answer = await this.#store({ lineage: proposal.lineage, cut: proposal.cut, promised: ballot, accepted: { ballot, proposal } });
      if (answer.ok) this.#opts.onAccepted?.(proposal);
      return answer;
    });
  }

  /** A value was chosen: noted (and handed on once per cut), by voters and learners alike. */
  decided(proposal: CutProposal): CutAnswer {
    const key = keyOf(proposal.lineage, proposal.cut);
    if (!this.#decided.has(key)) {
      this.#decided.set(key, proposal);
      this.#opts.log.info('cut decided', { lineage: proposal.lineage, cut: proposal.cut, proposer: proposal.proposer, heads: proposal.heads.length });
      this.#opts.onDecided?.(proposal);
    }
    return { ok: true, decided: proposal };
  }

  /** A member asks for the decision of one cut: given when heard, or when it made this member's lineage (its record). */
  status(lineage: string, cut: string): CutAnswer {
    const decided = this.decision(lineage, cut);
    return { ok: decided !== undefined, decided: decided ?? null };
  }

  /** The document changed (a batch applied): accepts waiting for their H look again. */
  heldChanged(): void {
    for (const check of [...this.#waiting]) check('changed');
  }

  /** Ends every wait for H (refused): the backend is stopping. */
  close(): void {
    for (const check of [...this.#waiting]) check('closing');
  }

  /** Learners never vote, and a ballot is its sender's own: anything else is refused as it stands. */
  #refusal(from: string, ballot: CutBallot): CutAnswer | undefined {
    if (!this.#opts.isVoter()) return { ok: false, error: unknownWireError(new Error('cut: this member is not a voter')) };
    if (String(ballot.member) !== String(from)) return { ok: false, error: unknownWireError(new Error(`cut: ballot of member ${String(ballot.member)} sent by ${from}`)) };
    return undefined;
  }

  /** A cut already decided is answered with its decision: the proposer ends its call with it instead of running rounds out. */
  #alreadyDecided(lineage: string, cut: string): CutAnswer | undefined {
    const decided = this.decision(lineage, cut);
    return decided ? { ...this.#refused(this.state(lineage, cut)), decided } : undefined;
  }

  #lowerThanPromised(proposal: CutProposal, ballot: CutBallot): CutAnswer | undefined {
    const state = this.state(proposal.lineage, proposal.cut);
    return state?.promised && compareCutBallots(ballot, state.promised) < 0 ? this.#refused(state) : undefined;
  }

  #refused(state: CutAcceptorState | undefined): CutAnswer {
    return { ok: false, promised: state?.promised ?? null, accepted: state?.accepted ?? null };
  }

  /**
   * Persists, then answers. A failed append is answered as an error, and the
   * state is kept: it may have committed, and a voter holding a promise or an
   * acceptance it never acknowledged is only stricter (its next append
   * carries the whole state again).
   */
  async #store(state: CutAcceptorState): Promise<CutAnswer> {
    this.#states.set(keyOf(state.lineage, state.cut), state);
    try {
      await this.#opts.persist(state);
    } catch (err) {
      this.#opts.log.warn('cut voter state not persisted', { lineage: state.lineage, cut: state.cut, err });
      return { ok: false, promised: state.promised, accepted: state.accepted ?? null, error: unknownWireError(err) };
    }
    return { ok: true, promised: state.promised, accepted: state.accepted ?? null };
  }

  #serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Whether H is held now or becomes held within the round timeout (the sync rounds bring what is missing). */
  #heldWithin(heads: readonly string[]): Promise<boolean> {
    if (this.#opts.holds(heads)) return Promise.resolve(true);
    return new Promise((resolve) => {
      // 'changed': look again, wait on if still missing; 'timeout': the last look; 'closing': refused.
      const check = (why: HeldCheck) => {
        const held = why !== 'closing' && this.#opts.holds(heads);
        if (!held && why === 'changed') return;
        clearTimeout(timer);
        this.#waiting.delete(check);
        resolve(held);
      };
      const timer = setTimeout(() => check('timeout'), this.#opts.roundTimeoutMs);
      this.#waiting.add(check);
    });
  }
}

type HeldCheck = 'changed' | 'timeout' | 'closing';
