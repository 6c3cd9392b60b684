// Peers' changes become one local revision (docs/ARCHITECTURE.md §8.1, "the
// revision rule"; §8.3, "Applying a peer's changes"): after the document
// took them, every touched key's visible value is compared with the key
// index, and the differences are written to the index only (they are in the
// document already) as PUT/DELETE events of one new revision.
import type { DeleteRangeRequest, PutRequest, RequestOp } from '@eckd/mvcc';
import type { BatchEffects, NodeState } from '../write-application.js';
import { recordRevision } from '../write-application.js';
import type { ConflictLog } from './conflicts.js';

/**
 * Writes the visible changes of `touchedKeys` as one revision (none if
 * nothing visible changed), raises the clock past every tag seen and
 * records the keys' conflicts.
 */
export function applyTouchedKeys(state: NodeState, effects: BatchEffects, touchedKeys: Iterable<string>, conflicts: ConflictLog): void {
  const ops: RequestOp[] = [];
  const conflicted: string[] = [];
  for (const key of touchedKeys) {
    // One read of the key's values serves the clock, the visible value and whether it holds a conflict.
    const values = state.doc.visibleValues(key);
    for (const value of values) state.clock?.observe(value.tag);
    if (values.length > 1) conflicted.push(key);
    const winner = values.find((v) => v.visible);
    const visible = winner?.tombstone === false ? winner : undefined;
    const keyBytes = Buffer.from(key, 'latin1');
    const indexed = state.store.kvAt(keyBytes);
    if (!visible) {
      if (indexed) ops.push({ request_delete_range: { key: keyBytes } satisfies DeleteRangeRequest });
    } else if (!indexed || !indexed.value.equals(visible.value) || indexed.lease !== visible.lease) {
      ops.push({ request_put: { key: keyBytes, value: Buffer.from(visible.value), lease: visible.lease } satisfies PutRequest });
    }
  }
  if (ops.length > 0) {
    // A peer's lease is not granted here: only its owner expires it (§8.6).
    const write = state.store.write({ txn: { compare: [], success: ops, failure: [] } }, { leaseExists: () => true });
    recordRevision(state, effects, write);
  }
  for (const key of conflicted) conflicts.record(state.doc.conflictsOf(key), state.store.revision);
}
