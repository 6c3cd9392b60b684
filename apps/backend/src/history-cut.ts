// Cuts the Automerge document's history at a batch boundary (ARCHITECTURE.md
// §5b): once the document keeps more ops than max(minOps, 4 × live state),
// its state becomes one deterministic rebase change and the backend goes on
// with a fresh document on it. The cost is O(live keys), so the factor
// spaces cuts by at least four key-counts of writes.
import { loadKvDocument, rebaseChange } from '@eckd/automerge-doc';
import type { Rebase } from '@eckd/change-codec';
import type { NodeState } from './node-state.js';

/** How many ops the document may keep per live key or lease before a cut. */
const opsPerLiveEntry = 4;

export interface HistoryCut {
  rebase: Rebase;
  opsBefore: number;
  ms: number;
}

/** Cuts if due; the caller must persist `rebase` with the batch it follows. `minOps` 0: never. */
export function cutHistoryIfDue(state: NodeState, minOps: number): HistoryCut | undefined {
  if (minOps === 0) return undefined;
  const opsBefore = state.doc.opCount();
  const keyCount = state.store.keyCount();
  if (opsBefore <= Math.max(minOps, opsPerLiveEntry * (keyCount + state.leases.size))) return undefined;
  const started = performance.now();
  const base = rebaseChange(state.doc);
  const next = loadKvDocument({ base: base.bytes });
  state.doc.free();
  state.doc = next;
  return { rebase: { change: base.bytes, hash: base.hash, key_count: keyCount }, opsBefore, ms: Math.round(performance.now() - started) };
}
