// The member's hybrid logical clock for transaction tags (docs/ARCHITECTURE.md
// §8.2), restored at start from the highest tag the document holds among its
// keys' values, so that a wall clock that stepped back across a restart
// cannot give a new write a lower tag than one it has seen. (Keys whose every
// value is a tombstone are not scanned; the wall clock covers them.)
import { HybridClock } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';

export function startClock(doc: KvDocument, memberId: bigint): HybridClock {
  const clock = new HybridClock(memberId);
  for (const key of doc.keys()) for (const value of doc.visibleValues(key)) clock.observe(value.tag);
  return clock;
}
