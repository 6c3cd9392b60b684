// Runs compactions one at a time: periodically (when the stored-change
// threshold is passed) and on request (whatever the threshold). A requested
// run that finds another compactor's run in progress waits for it to end,
// then runs itself, so the requester's reply describes a finished run.
import type { Pool } from 'pg';
import type { Logger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import { lockedReason, runCompaction } from './compaction.js';
import type { CompactionOutcome } from './compaction.js';

export interface CompactorServiceOptions {
  intervalMs: number;
  minChanges: number;
  lockWaitMs: number;
  pauseBeforeCommitMs: number;
  log: Logger;
}

const lockPollMs = 250;

/** result: ran, skipped (below the threshold or another compactor's run), failed. */
const runsTotal = counter('eckd_compactor_runs_total', 'Compaction runs of this compactor, by result.');
const rowsDeletedTotal = counter('eckd_compactor_deleted_rows_total', 'Stored changes and revision log rows the compactor deleted.');

export class CompactorService {
  readonly #pool: Pool;
  readonly #opts: CompactorServiceOptions;
  /** every run, in order: periodic and requested runs never overlap in this process */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(pool: Pool, opts: CompactorServiceOptions) {
    this.#pool = pool;
    this.#opts = opts;
  }

  /** Starts the periodic check; the next one is scheduled when a run ends, so checks never pile up. */
  start(): void {
    const tick = () => {
      this.#timer = undefined;
      if (this.#stopped) return;
      void this.#enqueue(() => this.#run(false))
        .catch((err: unknown) => this.#opts.log.warn('compaction failed', { err }))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#opts.intervalMs);
        });
    };
    this.#timer = setTimeout(tick, this.#opts.intervalMs);
  }

  /** A compaction now, whatever the threshold; rejects if it fails. */
  runNow(): Promise<CompactionOutcome> {
    return this.#enqueue(async () => {
      const deadline = Date.now() + this.#opts.lockWaitMs;
      for (;;) {
        const outcome = await this.#run(true);
        if (outcome.ran || outcome.reason !== lockedReason || Date.now() >= deadline || this.#stopped) return outcome;
        await new Promise((resolve) => setTimeout(resolve, lockPollMs));
      }
    });
  }

  /** Stops scheduling and waits for the run in progress (a killed run would be safe too, only wasted). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#chain.catch(() => undefined);
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.catch(() => undefined).then(fn);
    this.#chain = run;
    return run;
  }

  async #run(force: boolean): Promise<CompactionOutcome> {
    const { minChanges, pauseBeforeCommitMs, log } = this.#opts;
    const outcome = await runCompaction(this.#pool, { force, minChanges, pauseBeforeCommitMs, log }).catch((err: unknown) => {
      runsTotal.add(1, { result: 'failed' });
      throw err;
    });
    runsTotal.add(1, { result: outcome.ran ? 'ran' : 'skipped' });
    if (outcome.ran) rowsDeletedTotal.add(outcome.changesDeleted + outcome.logRowsDeleted);
    if (!outcome.ran) log.debug('compaction skipped', { reason: outcome.reason, force });
    return outcome;
  }
}
