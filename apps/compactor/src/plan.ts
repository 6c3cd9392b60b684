// What a compaction run would cover, decided from a few indexed queries:
//
// - the document part: every stored change of the batches up to the durable
//   revision D (the highest stored log row). A snapshot's document may run
//   ahead of etcd's compaction: the document has no etcd history, and
//   Automerge's save keeps every change anyway.
// - the key-index part: the live keys at R, the highest batch boundary at or
//   below etcd's compact revision C. History above C must stay readable, so
//   only log rows below R go (the row ending at R stays: it holds the events
//   of R for a watch starting there). Never compacted: no key index, every
//   log row is kept, as etcd keeps all history until a Compact.
import type { Pool } from 'pg';
import { countLogRowsBelow, countStoredChanges, durableRevision, highestLogRevisionAtOrBelow, latestSnapshotInfo, readCompactRevision } from '@eckd/storage';
import type { SnapshotInfo } from '@eckd/storage';

export interface CompactionPlan {
  previous: SnapshotInfo | undefined;
  /** D: the new snapshot's document holds every change of the batches up to here */
  throughRevision: number;
  /** R: the new snapshot's key index is the state at this revision; 0: none */
  indexRevision: number;
  /** etcd's stored compact revision; -1: never compacted */
  compactRevision: number;
  storedChanges: number;
  logRowsBelowIndex: number;
}

export async function planCompaction(pool: Pool): Promise<CompactionPlan> {
  const previous = await latestSnapshotInfo(pool);
  const durable = await durableRevision(pool);
  const compact = await readCompactRevision(pool);
  const boundary = compact === undefined ? 0 : ((await highestLogRevisionAtOrBelow(pool, compact)) ?? 0);
  const indexRevision = Math.max(boundary, previous?.indexRevision ?? 0);
  // Revision 1 is the empty store; changes that made no revision (a lease
  // grant before any write) carry it.
  const throughRevision = Math.max(durable, 1, previous?.throughRevision ?? 0);
  return {
    previous,
    throughRevision,
    indexRevision,
    compactRevision: compact ?? -1,
    storedChanges: await countStoredChanges(pool),
    logRowsBelowIndex: indexRevision > 0 ? await countLogRowsBelow(pool, indexRevision) : 0,
  };
}

/** Why a run should not go on (undefined: it should). A requested run ignores the threshold. */
export function skipReason(plan: CompactionPlan, opts: { force: boolean; minChanges: number }): string | undefined {
  const reclaimable = plan.storedChanges + plan.logRowsBelowIndex;
  if (reclaimable === 0) return 'nothing to compact';
  if (!opts.force && reclaimable < opts.minChanges) return 'below threshold';
  return undefined;
}
