// Band reservations for MemberAdd (docs/ARCHITECTURE.md §8.5) inside the
// document: root entries `band:<b>` → the JSON `{member, by, released}`,
// one scalar per band, like the member table (member-record.ts says why not
// a map). Concurrent reservations of one band by two adders are an
// ordinary conflict: every value is kept, and a member deciding on a
// reservation reads them all, so a band two adders race for is held by
// both until one releases it.
import { AutomergeDocError } from './automerge-doc-error.js';
import { memberIdHex } from './member-record.js';

export interface BandReservation {
  /** the new member the band is reserved for (16 hex digits) */
  member: string;
  /** the member that reserved it (16 hex digits) */
  by: string;
  /** a failed add gives the band back */
  released: boolean;
}

export const bandKeyPrefix = 'band:';

export function bandKey(band: number): string {
  if (!Number.isSafeInteger(band) || band < 0) throw new AutomergeDocError(`band must be a non-negative integer, got ${band}`);
  return bandKeyPrefix + band;
}

export function encodeBandReservation(r: BandReservation): string {
  if (!isBandReservation(r)) throw new AutomergeDocError(`bad band reservation ${JSON.stringify(r)}`);
  return JSON.stringify({ member: r.member, by: r.by, released: r.released });
}

export function decodeBandReservation(stored: unknown): BandReservation {
  let parsed: unknown;
  try {
    parsed = typeof stored === 'string' ? JSON.parse(stored) : undefined;
  } catch (err) {
    throw new AutomergeDocError('stored band reservation is not JSON', { cause: err });
  }
  if (!isBandReservation(parsed)) throw new AutomergeDocError(`stored band reservation is malformed: ${String(stored)}`);
  return parsed;
}

function isBandReservation(v: unknown): v is BandReservation {
  if (typeof v !== 'object' || v === null) return false;
  const r: Partial<Record<keyof BandReservation, unknown>> = v;
  return typeof r.member === 'string' && memberIdHex.test(r.member) && typeof r.by === 'string' && memberIdHex.test(r.by) && typeof r.released === 'boolean';
}
