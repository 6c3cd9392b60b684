// A member returning after the cluster let its old lineage go
// (docs/ARCHITECTURE.md §8.10, "laggards"): it has taken the current
// document, and writes onto it again its own writes the cluster does not
// hold (origin revision above its watermark): for each key its
// highest-tagged write, only if that tag is above every value the key holds
// now (a lower one lost already, and written now it would overwrite the
// winner instead of meeting it); its own lease records by their last write.
// Membership and auth records are not carried: those changes need the
// cluster and were answered as failed or timed out.
import { decodeChange } from '@automerge/automerge';
import { kvMapId, leasesMapId } from './base-change.js';
import { decodeChangeOrigin } from './change-origin.js';
import type { KvDocument } from './kv-document.js';
import { decodeTaggedStoredValue } from './stored-value.js';
import type { TaggedStoredValue } from './stored-value.js';
import { compareTags } from './txn-tag.js';

export interface ReexpressResult {
  /** keys written again, in byte order */
  written: string[];
  /** keys whose write lost to a value the document holds */
  lost: string[];
}

/**
 * Writes into `doc`, uncommitted (the caller commits with its own origin),
 * the writes of `ownChanges` (this member's changes of an older lineage)
 * whose origin revision is above `watermark`.
 */
export function reexpressOwnWrites(doc: KvDocument, ownChanges: readonly Uint8Array[], watermark: bigint): ReexpressResult {
  const latest = new Map<string, TaggedStoredValue>();
  const leaseWrites = new Map<string, number | string | undefined>();
  for (const bytes of ownChanges) {
    const change = decodeChange(bytes);
    const origin = decodeChangeOrigin(change.message);
    if (origin === undefined || origin.revision <= watermark) continue;
    for (const op of change.ops) {
      const value: unknown = op.value;
      if (op.obj === kvMapId && op.action === 'set' && Array.isArray(value)) {
        const write = decodeTaggedStoredValue(Uint8Array.from(value as number[]));
        const held = latest.get(op.key);
        if (held === undefined || compareTags(write.tag, held.tag) > 0) latest.set(op.key, write);
      } else if (op.obj === leasesMapId) {
        leaseWrites.set(op.key, op.action === 'del' ? undefined : (value as number | string));
      }
    }
  }
  const written: string[] = [];
  const lost: string[] = [];
  for (const key of [...latest.keys()].sort()) {
    const write = latest.get(key)!;
    if (doc.visibleValues(key).some((v) => compareTags(v.tag, write.tag) >= 0)) {
      lost.push(key);
      continue;
    }
    if (write.tombstone) doc.deleteTagged(key, write.tag, write.originRevision);
    else doc.putTagged(key, write.value, write.lease, write.tag, write.originRevision);
    written.push(key);
  }
  for (const [id, stored] of leaseWrites) {
    if (stored === undefined) doc.deleteLease(id);
    else if (typeof stored === 'number') doc.putLease(id, stored);
    else {
      const [ttl, owner] = stored.split('@');
      doc.putLease(id, Number(ttl), owner);
    }
  }
  return { written, lost };
}
