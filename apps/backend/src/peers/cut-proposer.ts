// The proposer's side of the agreement on a history cut (docs/ARCHITECTURE.md
// §8.10, 1): single-decree Paxos among the voters of the member set (learners
// and removed members do not vote). A round prepares a ballot (round, this
// member's id) above every ballot it has seen; with promises from a majority
// it asks them to accept the value accepted under the highest ballot among
// the promises, else its own; with acceptances from a majority the value is
// chosen and every member (learners included) is told. A refusal or a phase
// without a majority within the round timeout is retried after a jittered
// wait, at most `roundsMax` rounds per call (per due batch), then given up.
// A call ends at once with a decision of its cut heard meanwhile: a reply's
// `decided` (a voter that knows it) or heard() (this member's acceptor).
import { compareCutBallots } from '@eckd/change-codec';
import type { CutAccepted, CutBallot, CutProposal, CutReply } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';
import type { CutStep } from './cut-link.js';
import type { PeerMember } from './peer-link.js';

/** The agreement's timings (§8.10, Limits). */
export interface CutAgreementLimits {
  /** A phase's wait for a majority, and an accept's wait for H (ECKD_CUT_ROUND_TIMEOUT_MS). */
  roundTimeoutMs: number;
  /** The wait before another round, jittered ×[1, 2) (ECKD_CUT_RETRY_MS). */
  retryMs: number;
  /** Rounds per due batch before the proposal is given up (ECKD_CUT_ROUNDS_MAX). */
  roundsMax: number;
}

/** §8.10's defaults; the backend reads its settings from the environment (peer-config.ts). */
export const cutAgreementDefaults: Readonly<CutAgreementLimits> = Object.freeze({ roundTimeoutMs: 5_000, retryMs: 2_000, roundsMax: 5 });

export interface CutProposerOptions {
  self: PeerMember;
  /** The voters of the member set now, this member included: the majority is of them. */
  voters: () => readonly PeerMember[];
  /** Every member a decision goes to, voters and learners, this member included. */
  members: () => readonly PeerMember[];
  /** Sends one step to a member and gives its reply (cut-link.ts); rejects on no answer. */
  ask: (to: PeerMember, step: CutStep, timeoutMs: number) => Promise<CutReply>;
  limits: CutAgreementLimits;
  log: Logger;
  /** [0, 1): the retry's jitter */
  random?: () => number;
  /** A decision heard from a voter's reply (not from heard()): this member's acceptor notes it too (cut-agreement.ts). */
  learned?: (proposal: CutProposal) => void;
}

/** A call's end: the chosen value (possibly another proposer's, or a decision heard), or none after `rounds` rounds. */
export interface CutOutcome {
  chosen: CutProposal | undefined;
  rounds: number;
}

export class CutProposer {
  readonly #opts: CutProposerOptions;
  /** per (lineage, cut): the highest round of any ballot seen, so the next ballot is above it */
  readonly #highestRound = new Map<string, bigint>();
  /** per (lineage, cut): the decision heard (a reply's, or the acceptor's `onDecided`): a call for that cut ends with it */
  readonly #decided = new Map<string, CutProposal>();
  /** per (lineage, cut): calls running */
  readonly #running = new Map<string, number>();
  /** running phases and pauses, woken by a decision heard or by stop() */
  readonly #wakers = new Set<() => void>();
  #stopped = false;

  constructor(opts: CutProposerOptions) {
    this.#opts = opts;
  }

  /** Runs rounds until a value is chosen for `own`'s cut, a decision of that cut is heard, or the rounds run out. */
  async propose(own: CutProposal): Promise<CutOutcome> {
    const key = keyOf(own.lineage, own.cut);
    this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
    try {
      return await this.#rounds(own, key);
    } finally {
      const left = (this.#running.get(key) ?? 1) - 1;
      if (left > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    }
  }

  /** Whether a call for this cut is running (the agreement then runs no prepare of its own for it). */
  running(lineage: string, cut: string | number): boolean {
    return this.#running.has(keyOf(lineage, cut));
  }

  /** A decision heard for a cut: a call for it ends with that value, at once (no rounds against voters that moved on). */
  heard(proposal: CutProposal): void {
    const key = keyOf(proposal.lineage, proposal.cut);
    if (this.#decided.has(key)) return;
    this.#decided.set(key, proposal);
    for (const wake of [...this.#wakers]) wake();
  }

  /** Ends the running calls: a phase or pause in flight ends at once, none starts. */
  stop(): void {
    this.#stopped = true;
    for (const wake of [...this.#wakers]) wake();
  }

  async #rounds(own: CutProposal, key: string): Promise<CutOutcome> {
    const { limits, log } = this.#opts;
    let rounds = 0;
    while (rounds < limits.roundsMax && !this.#stopped && !this.#decided.has(key)) {
      if (rounds > 0) await this.#pause(key, limits.retryMs * (1 + (this.#opts.random ?? Math.random)()));
      if (this.#stopped || this.#decided.has(key)) break;
      rounds++;
      const chosen = await this.#round(own, key);
      if (chosen) return { chosen, rounds };
    }
    const heard = this.#decided.get(key);
    if (heard) return { chosen: heard, rounds };
    if (!this.#stopped) log.warn('cut proposal given up', { lineage: own.lineage, cut: own.cut, rounds });
    return { chosen: undefined, rounds };
  }

  async #round(own: CutProposal, key: string): Promise<CutProposal | undefined> {
    const { lineage, cut } = own;
    const voters = this.#opts.voters();
    const ballot: CutBallot = { round: String((this.#highestRound.get(key) ?? 0n) + 1n), member: this.#opts.self.id };
    this.#see(key, ballot);
    const promises = await this.#phase(key, voters, { lineage, cut, op: 'prepare', prepare: { ballot } });
    if (!promises) return this.#decided.get(key);
    const value = highestAccepted(promises)?.proposal ?? own;
    if (!(await this.#phase(key, voters, { lineage, cut, op: 'accept', accept: { ballot, proposal: value } }))) return this.#decided.get(key);
    await this.#announce(value);
    return value;
  }

  /**
   * One step to every voter: the `ok` replies once a majority gave one;
   * undefined as soon as a majority can no longer, a decision of the cut is
   * heard (a reply's `decided`, or heard()), or at the round timeout.
   */
  #phase(key: string, voters: readonly PeerMember[], step: CutStep): Promise<CutReply[] | undefined> {
    const majority = Math.floor(voters.length / 2) + 1;
    const { roundTimeoutMs } = this.#opts.limits;
    if (voters.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const oks: CutReply[] = [];
      let failed = 0;
      let done = false;
      const finish = (result: CutReply[] | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve(result);
      };
      const wake = () => {
        if (this.#stopped || this.#decided.has(key)) finish(undefined);
      };
      const timer = setTimeout(() => finish(undefined), roundTimeoutMs);
      this.#wakers.add(wake);
      for (const voter of voters) {
        this.#opts.ask(voter, step, roundTimeoutMs).then(
          (reply) => {
            this.#see(key, reply.promised);
            this.#see(key, reply.accepted?.ballot);
            const decided = reply.decided;
            if (!reply.ok && decided && keyOf(decided.lineage, decided.cut) === key && !this.#decided.has(key)) {
              this.heard(decided);
              this.#opts.learned?.(decided);
            }
            if (reply.ok) oks.push(reply);
            else failed++;
            if (oks.length === majority) finish(oks);
            else if (failed === voters.length - majority + 1) finish(undefined);
          },
          (err: unknown) => {
            this.#opts.log.debug('cut step not answered', { to: voter.name, op: step.op, err });
            if (++failed === voters.length - majority + 1) finish(undefined);
          },
        );
      }
    });
  }

  /** Tells every member the decision; one that does not answer learns it later by asking (status). */
  async #announce(value: CutProposal): Promise<void> {
    const step: CutStep = { lineage: value.lineage, cut: value.cut, op: 'decided', decided: { proposal: value } };
    const told = await Promise.allSettled(this.#opts.members().map((m) => this.#opts.ask(m, step, this.#opts.limits.roundTimeoutMs)));
    this.#opts.log.info('cut chosen', { lineage: value.lineage, cut: value.cut, proposer: value.proposer, told: told.filter((t) => t.status === 'fulfilled').length, members: told.length });
  }

  #see(key: string, ballot: CutBallot | null | undefined): void {
    if (!ballot) return;
    const round = BigInt(ballot.round);
    if (round > (this.#highestRound.get(key) ?? 0n)) this.#highestRound.set(key, round);
  }

  /** Waits `ms`, or less if a decision of the cut is heard or the proposer stops. */
  #pause(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const wake = () => {
        if (this.#stopped || this.#decided.has(key)) done();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(wake);
    });
  }
}

const keyOf = (lineage: string, cut: string | number) => `${lineage}/${String(cut)}`;

/** Among promises, what was accepted under the highest ballot: the only value this round may propose, if any. */
export function highestAccepted(promises: readonly Pick<CutReply, 'accepted'>[]): CutAccepted | undefined {
  let highest: CutAccepted | undefined;
  for (const { accepted } of promises) {
    if (!accepted?.ballot || !accepted.proposal) continue;
    if (!highest?.ballot || compareCutBallots(accepted.ballot, highest.ballot) > 0) highest = accepted;
  }
  return highest;
}
