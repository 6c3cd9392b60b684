// The proposer's side of the agreement on a history cut (docs/ARCHITECTURE.md
// §8.10, 1): single-decree Paxos among the voters of the member set (learners
// and removed members do not vote). A round prepares a ballot (round, this
// member's id) above every ballot it has seen; with promises from a majority
// it asks them to accept the value accepted under the highest ballot among
// the promises, else its own; with acceptances from a majority the value is
// chosen and every member (learners included) is told. A refusal or a phase
// without a majority within the round timeout is retried after a jittered
// wait, at most `roundsMax` rounds per call (per due batch), then given up.
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
}

/** A call's end: the chosen value (possibly another proposer's), or none after `rounds` rounds. */
export interface CutOutcome {
  chosen: CutProposal | undefined;
  rounds: number;
}

export class CutProposer {
  readonly #opts: CutProposerOptions;
  /** per (lineage, cut): the highest round of any ballot seen, so the next ballot is above it */
  readonly #highestRound = new Map<string, bigint>();
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(opts: CutProposerOptions) {
    this.#opts = opts;
  }

  /** Runs rounds until a value is chosen for `own`'s cut or the rounds run out. */
  async propose(own: CutProposal): Promise<CutOutcome> {
    const { limits, log } = this.#opts;
    for (let rounds = 1; rounds <= limits.roundsMax && !this.#stopped; rounds++) {
      if (rounds > 1) await this.#pause(limits.retryMs * (1 + (this.#opts.random ?? Math.random)()));
      if (this.#stopped) return { chosen: undefined, rounds: rounds - 1 };
      const chosen = await this.#round(own);
      if (chosen) return { chosen, rounds };
    }
    log.warn('cut proposal given up', { lineage: own.lineage, cut: own.cut, rounds: limits.roundsMax });
    return { chosen: undefined, rounds: limits.roundsMax };
  }

  /** Ends the current call after its round in flight. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  async #round(own: CutProposal): Promise<CutProposal | undefined> {
    const { lineage, cut } = own;
    const key = `${lineage}/${cut}`;
    const voters = this.#opts.voters();
    const ballot: CutBallot = { round: String((this.#highestRound.get(key) ?? 0n) + 1n), member: this.#opts.self.id };
    this.#see(key, ballot);
    const promises = await this.#phase(key, voters, { lineage, cut, op: 'prepare', prepare: { ballot } });
    if (!promises) return undefined;
    const value = highestAccepted(promises)?.proposal ?? own;
    if (!(await this.#phase(key, voters, { lineage, cut, op: 'accept', accept: { ballot, proposal: value } }))) return undefined;
    await this.#announce(value);
    return value;
  }

  /**
   * One step to every voter: the `ok` replies once a majority gave one;
   * undefined as soon as a majority can no longer, or at the round timeout.
   */
  #phase(key: string, voters: readonly PeerMember[], step: CutStep): Promise<CutReply[] | undefined> {
    const majority = Math.floor(voters.length / 2) + 1;
    const { roundTimeoutMs } = this.#opts.limits;
    if (voters.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const oks: CutReply[] = [];
      let failed = 0;
      const finish = (result: CutReply[] | undefined) => {
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => finish(undefined), roundTimeoutMs);
      for (const voter of voters) {
        this.#opts.ask(voter, step, roundTimeoutMs).then(
          (reply) => {
            this.#see(key, reply.promised);
            this.#see(key, reply.accepted?.ballot);
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

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Among promises, what was accepted under the highest ballot: the only value this round may propose, if any. */
export function highestAccepted(promises: readonly Pick<CutReply, 'accepted'>[]): CutAccepted | undefined {
  let highest: CutAccepted | undefined;
  for (const { accepted } of promises) {
    if (!accepted?.ballot || !accepted.proposal) continue;
    if (!highest?.ballot || compareCutBallots(accepted.ballot, highest.ballot) > 0) highest = accepted;
  }
  return highest;
}
