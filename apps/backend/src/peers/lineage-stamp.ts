// A lineage as peer messages carry it (docs/ARCHITECTURE.md §8.10): the
// original base travels as an empty id and number 0, so a member that never
// cut sends exactly what it sent before the fields existed.
import { baseChangeHash, lineageIdOnWire } from '@eckd/automerge-doc';
import type { Lineage } from '@eckd/automerge-doc';
import type { LineageStamp } from '@eckd/change-codec';

/** The lineage a message names: an empty id is the original base's (what a sender that never cut, or an older one, sends). */
export function lineageOfStamp(stamp: LineageStamp): Lineage {
  const id = stamp.lineage ?? '';
  return { id: id === '' ? baseChangeHash : id, cut: Number(stamp.lineage_cut ?? 0) };
}

/** The stamp a message carries for `lineage`: empty for the original, so members that never cut send what they sent before. */
export function stampOf(lineage: Lineage): Required<LineageStamp> {
  return { lineage: lineageIdOnWire(lineage), lineage_cut: lineage.cut };
}
