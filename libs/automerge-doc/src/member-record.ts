// The member table (docs/ARCHITECTURE.md §8.1) inside the document.
//
// Why root entries `member:<id>` and not a `members` map: an Automerge map is
// identified by the op that made it, so two members that each create a
// `members` map (two founders, or one racing a joiner) would hold two
// different maps under one root key, and records written into the losing map
// would be invisible. Adding the map to the deterministic base instead would
// change the base bytes and hash and break every stored document. A scalar
// per member in the root map has neither problem: concurrent writes of one
// member's record are an ordinary key conflict (one whole record wins on
// every member), and writes of different members never meet.
import { AutomergeDocError } from './automerge-doc-error.js';

export interface MemberRecord {
  name: string;
  /** Revision band: the member's revisions are band·2^48 + 1, +2, … */
  band: number;
  clientUrls: string[];
  peerUrls: string[];
  learner: boolean;
  removed: boolean;
}

export const memberKeyPrefix = 'member:';
export const memberIdHex = /^[0-9a-f]{16}$/;

/** A member id (uint64, decimal string or number) as the member table and lease records name it: 16 hex digits. */
export function memberIdHexOf(memberId: string | number): string {
  return BigInt(memberId).toString(16).padStart(16, '0');
}

export function memberKey(idHex: string): string {
  if (typeof idHex !== 'string' || !memberIdHex.test(idHex)) {
    throw new AutomergeDocError(`member id must be 16 lower-case hex digits, got ${JSON.stringify(idHex)}`);
  }
  return memberKeyPrefix + idHex;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function encodeMemberRecord(record: MemberRecord): string {
  const { name, band, clientUrls, peerUrls, learner, removed } = record;
  if (!isMemberRecord(record)) throw new AutomergeDocError(`bad member record ${JSON.stringify(record)}`);
  return JSON.stringify({ name, band, clientUrls, peerUrls, learner, removed });
}

export function decodeMemberRecord(stored: unknown): MemberRecord {
  let parsed: unknown;
  try {
    parsed = typeof stored === 'string' ? JSON.parse(stored) : undefined;
  } catch (err) {
    throw new AutomergeDocError('stored member record is not JSON', { cause: err });
  }
  if (!isMemberRecord(parsed)) throw new AutomergeDocError(`stored member record is malformed: ${String(stored)}`);
  return parsed;
}

/**
 * Of the concurrent values one member's record holds (Automerge keeps them
 * all), the one every member reads: a removal, if any, since a removal is
 * final and a concurrent write of the removed member's URLs must not undo
 * it; else Automerge's own winner, which every member shares.
 */
export function visibleMemberRecord(winner: MemberRecord, values: readonly MemberRecord[]): MemberRecord {
  return values.find((r) => r.removed) ?? winner;
}

function isMemberRecord(v: unknown): v is MemberRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r: Partial<Record<keyof MemberRecord, unknown>> = v;
  return (
    typeof r.name === 'string' &&
    typeof r.band === 'number' &&
    Number.isSafeInteger(r.band) &&
    r.band >= 0 &&
    isStringArray(r.clientUrls) &&
    isStringArray(r.peerUrls) &&
    typeof r.learner === 'boolean' &&
    typeof r.removed === 'boolean'
  );
}
