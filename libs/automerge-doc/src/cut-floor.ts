// The tombstone floor of a coordinated cut (docs/ARCHITECTURE.md §8.10):
// tombstones below it are left out of the base. Each member writes its clock
// record (root entry `clock:<member id hex>` = its HLC, decimal) with its
// first change on each lineage; its HLC only grows, and every change of one
// member depends on its previous one, so every write of that member outside
// the cut point comes after its record and carries a higher tag. The floor is
// the lowest record at H among the members that are not removed and not
// excluded by the proposal: a tombstone below it loses to every write that
// can still reach the new lineage, so leaving it out changes nothing.
import { AutomergeDocError } from './automerge-doc-error.js';
import type { CutState } from './kv-document.js';
import { decodeMemberRecord, memberKey, memberKeyPrefix } from './member-record.js';
import { assertU64 } from './txn-tag.js';

export const clockRecordPrefix = 'clock:';
const decimal = /^(0|[1-9][0-9]*)$/;

export function clockRecordKey(idHex: string): string {
  return clockRecordPrefix + memberKey(idHex).slice(memberKeyPrefix.length);
}

export function encodeClockRecord(hlc: bigint): string {
  assertU64(hlc, 'clock record');
  return hlc.toString();
}

export function decodeClockRecord(stored: unknown): bigint {
  if (typeof stored !== 'string' || !decimal.test(stored)) throw new AutomergeDocError(`stored clock record is malformed: ${String(stored)}`);
  const hlc = BigInt(stored);
  assertU64(hlc, 'clock record');
  return hlc;
}

/** The floor at a cut's state: the lowest clock record of the members not removed and not in `excluded` (ids as 16 hex digits). */
export function tombstoneFloorOf(state: CutState, excluded: ReadonlySet<string>): bigint {
  const root = new Map(state.root.map(({ key, value }) => [key, value]));
  let floor: bigint | undefined;
  for (const [key, value] of root) {
    if (!key.startsWith(memberKeyPrefix)) continue;
    const id = key.slice(memberKeyPrefix.length);
    if (decodeMemberRecord(value).removed || excluded.has(id)) continue;
    const record = root.get(clockRecordPrefix + id);
    const hlc = record === undefined ? 0n : decodeClockRecord(record);
    if (floor === undefined || hlc < floor) floor = hlc;
  }
  return floor ?? 0n;
}
