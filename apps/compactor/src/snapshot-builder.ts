// Builds a new snapshot from the latest one plus the stored rows after it,
// without holding any transaction or lock that writes wait on: the persister
// keeps appending meanwhile, above the plan's revisions.
//
// Before anything is deleted, the document and the key index rebuilt at the
// durable revision must agree key for key and value for value: they were
// written in the same transactions, so a difference means a row is missing
// or corrupt, and the run fails with the stored rows untouched.
import type { Pool } from 'pg';
import { lineageIdOnWire, loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import { keyValueFromWire, MvccStore, revisionPatchFromWire } from '@eckd/mvcc';
import type { KeyValue } from '@eckd/mvcc';
import { firstLoggedRevision, readLatestSnapshot, readLogRows, readStoredChanges, SnapshotConflictError } from '@eckd/storage';
import type { NewSnapshot, SnapshotData } from '@eckd/storage';
import type { CompactionPlan } from './plan.js';

/** While replaying below the index revision, the replay store is compacted this often. */
const replayCompactEveryRevisions = 5_000;

export class CompactionError extends Error {
  override name = 'CompactionError';
}

export interface BuiltSnapshot {
  snapshot: NewSnapshot;
  coveredChanges: { actor: Uint8Array; seq: number }[];
  revisionsReplayed: number;
}

export async function buildSnapshot(pool: Pool, plan: CompactionPlan): Promise<BuiltSnapshot> {
  const previous = plan.previous ? await readLatestSnapshot(pool) : undefined;
  if (previous?.throughRevision !== plan.previous?.throughRevision) {
    throw new SnapshotConflictError('compactor: another snapshot was committed since the plan was made');
  }
  const { doc, covered } = await buildDocument(pool, previous, plan.throughRevision);
  const index = await buildIndex(pool, previous, plan);
  checkSameState(doc, index.store);
  const keyIndex =
    index.reused ??
    (plan.indexRevision > 0
      ? codecs.snapshotIndex.encode({ revision: plan.indexRevision, compact_revision: plan.compactRevision, kvs: index.captured ?? [] }) // buildIndex threw if none was captured
      : new Uint8Array(0));
  return {
    snapshot: {
      throughRevision: plan.throughRevision,
      indexRevision: plan.indexRevision,
      compactRevision: plan.compactRevision,
      heads: doc.heads(),
      keyCount: doc.size(),
      lineage: lineageIdOnWire(doc.lineage()),
      document: doc.save(),
      keyIndex,
    },
    coveredChanges: covered,
    revisionsReplayed: index.replayed,
  };
}

/**
 * The previous document plus every stored change up to `through`, applied
 * at once: changes sharing a revision are ordered by actor, not by
 * dependency, so a page boundary could split a change from its dependency.
 * Changes already in the previous document (a late retried append) are
 * ignored by Automerge and deleted with the others.
 */
async function buildDocument(pool: Pool, previous: SnapshotData | undefined, through: number) {
  const changes: Uint8Array[] = [];
  const covered: { actor: Uint8Array; seq: number }[] = [];
  // The previous snapshot's lineage only: another lineage's changes are kept for a lagging peer (§8.10), never folded in.
  for await (const page of readStoredChanges(pool, { upToRevision: through, lineage: previous?.lineage })) {
    for (const c of page) {
      changes.push(c.change);
      covered.push({ actor: c.actor, seq: c.seq });
    }
  }
  const doc = loadKvDocument({ saved: previous?.document, changes });
  return { doc, covered };
}

interface BuiltIndex {
  store: MvccStore;
  /** the live kvs at the plan's index revision, when they had to be captured */
  captured: KeyValue[] | undefined;
  /** the previous snapshot's key index, when the index revision did not move */
  reused: Uint8Array | undefined;
  replayed: number;
}

/** Replays the log from the previous key index to the durable revision, capturing the live keys at the index revision on the way. */
async function buildIndex(pool: Pool, previous: SnapshotData | undefined, plan: CompactionPlan): Promise<BuiltIndex> {
  const store = previous && previous.indexRevision > 0 ? storeFromIndex(previous) : await emptyStoreBeforeLog(pool);
  const reused = previous && previous.indexRevision === plan.indexRevision && plan.indexRevision > 0 ? previous.keyIndex : undefined;
  let captured: KeyValue[] | undefined;
  const capture = () => {
    // No history at or below the index revision is needed here: compacting
    // as the replay goes keeps its memory near the live keys.
    if (plan.indexRevision === 0) return;
    const upTo = Math.min(store.revision, plan.indexRevision);
    if (upTo - store.compactRevision >= replayCompactEveryRevisions || (upTo === plan.indexRevision && upTo > store.compactRevision)) store.compact(upTo);
    if (reused || store.revision !== plan.indexRevision) return;
    captured = liveKvs(store);
  };
  capture();
  let replayed = 0;
  for await (const page of readLogRows(pool, { fromRevision: store.revision + 1, upToRevision: plan.throughRevision })) {
    for (const row of page) {
      for (const p of codecs.patchBatch.decode(row.patches).patches) {
        const revision = Number(p.revision);
        if (revision <= store.revision) continue; // a batch may begin at or below the previous index revision
        store.applyRevision(revisionPatchFromWire(p));
        replayed++;
      }
      capture();
    }
  }
  if (store.revision !== plan.throughRevision) {
    throw new CompactionError(`compactor: the log replays to revision ${store.revision}, expected ${plan.throughRevision}`);
  }
  if (plan.indexRevision > 0 && !reused && !captured) {
    throw new CompactionError(`compactor: no batch ends at the index revision ${plan.indexRevision}`);
  }
  return { store, captured, reused, replayed };
}

/**
 * The store the log starts from: revision 1 on a single node; a cluster
 * member's log starts above its revision band's first revision
 * (docs/ARCHITECTURE.md §8.1), where its store starts compacted.
 */
async function emptyStoreBeforeLog(pool: Pool): Promise<MvccStore> {
  const start = ((await firstLoggedRevision(pool)) ?? 2) - 1;
  return start > 1 ? new MvccStore({ revision: start, compactRevision: start }) : new MvccStore();
}

function storeFromIndex(previous: SnapshotData): MvccStore {
  const index = codecs.snapshotIndex.decode(previous.keyIndex);
  if (Number(index.revision) !== previous.indexRevision) {
    throw new CompactionError(`compactor: stored key index is at ${index.revision}, its row says ${previous.indexRevision}`);
  }
  return MvccStore.fromState({
    revision: previous.indexRevision,
    baseRevision: previous.indexRevision,
    compactRevision: Number(index.compact_revision),
    base: index.kvs.map(keyValueFromWire),
    patches: [],
  });
}

function liveKvs(store: MvccStore): KeyValue[] {
  return store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) }).kvs;
}

function checkSameState(doc: KvDocument, store: MvccStore): void {
  const kvs = liveKvs(store);
  if (doc.size() !== kvs.length) throw new CompactionError(`compactor: the document has ${doc.size()} keys, the log ${kvs.length}`);
  for (const kv of kvs) {
    const key = Buffer.from(kv.key).toString('latin1');
    const stored = doc.get(key);
    if (!stored || !Buffer.from(stored.value).equals(Buffer.from(kv.value)) || stored.lease !== String(kv.lease)) {
      throw new CompactionError(`compactor: the document and the log differ at key ${JSON.stringify(key)}`);
    }
  }
}
