// One compaction run: take the compactor lock, plan, build the snapshot,
// then insert it and delete what it covers in one transaction.
//
// Failure at any step leaves either the old state or the new one:
// - before the commit nothing was written (a killed run's session lock and
//   open transaction end with its connection);
// - the commit is one transaction, checked against the latest snapshot
//   (SnapshotConflictError if another compactor committed meanwhile; the
//   run is then planned again from the new snapshot).
import type { Pool, PoolClient } from 'pg';
import { commitSnapshot, releaseCompactorLock, SnapshotConflictError, tryCompactorLock } from '@eckd/storage';
import type { Logger } from '@eckd/service-kit';
import { planCompaction, skipReason } from './plan.js';
import { buildSnapshot } from './snapshot-builder.js';

export interface CompactionOptions {
  /** a requested run ignores the stored-change threshold */
  force: boolean;
  minChanges: number;
  pauseBeforeCommitMs: number;
  log: Logger;
}

export type CompactionOutcome =
  | { ran: false; reason: string }
  | {
      ran: true;
      throughRevision: number;
      indexRevision: number;
      changesDeleted: number;
      logRowsDeleted: number;
      documentBytes: number;
      indexBytes: number;
      durationMs: number;
    };

/** Another compactor holds the lock: nothing was done. */
export const lockedReason = 'another compactor is running';
const conflictRetriesMax = 3;

export async function runCompaction(pool: Pool, opts: CompactionOptions): Promise<CompactionOutcome> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    if (!(await tryCompactorLock(client))) return { ran: false, reason: lockedReason };
    try {
      return await runWithRetries(pool, client, opts);
    } finally {
      await releaseCompactorLock(client).catch((err: Error) => (failed ??= err));
    }
  } catch (err) {
    failed ??= err as Error;
    throw err;
  } finally {
    // A connection that saw an error is dropped, so no lock or transaction can outlive the run.
    client.release(failed);
  }
}

async function runWithRetries(pool: Pool, client: PoolClient, opts: CompactionOptions): Promise<CompactionOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runLocked(pool, client, opts);
    } catch (err) {
      if (!(err instanceof SnapshotConflictError) || attempt >= conflictRetriesMax) throw err;
      opts.log.warn('another compactor committed first; planning again', { attempt });
    }
  }
}

async function runLocked(pool: Pool, client: PoolClient, opts: CompactionOptions): Promise<CompactionOutcome> {
  const started = Date.now();
  const plan = await planCompaction(pool);
  const skip = skipReason(plan, opts);
  if (skip) return { ran: false, reason: skip };
  const { previous, ...planned } = plan;
  opts.log.info('compaction started', { ...planned, previousRevision: previous?.throughRevision ?? 0, force: opts.force });
  const built = await buildSnapshot(pool, plan);
  if (opts.pauseBeforeCommitMs > 0) {
    opts.log.info('pausing before commit', { ms: opts.pauseBeforeCommitMs });
    await new Promise((resolve) => setTimeout(resolve, opts.pauseBeforeCommitMs));
  }
  const result = await commitSnapshot(client, {
    previousThroughRevision: previous?.throughRevision,
    snapshot: built.snapshot,
    coveredChanges: built.coveredChanges,
    logBelowRevision: plan.indexRevision,
  });
  const outcome = {
    ran: true as const,
    throughRevision: plan.throughRevision,
    indexRevision: plan.indexRevision,
    changesDeleted: result.changesDeleted,
    logRowsDeleted: result.logRowsDeleted,
    documentBytes: built.snapshot.document.length,
    indexBytes: built.snapshot.keyIndex.length,
    durationMs: Date.now() - started,
  };
  opts.log.info('compaction done', { ...outcome, keys: built.snapshot.keyCount, revisionsReplayed: built.revisionsReplayed });
  return outcome;
}
