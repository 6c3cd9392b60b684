// Whose a change is (docs/ARCHITECTURE.md §8.3): every change a backend
// commits carries its origin in the Automerge change's message, so any member
// holding the change knows the writing member and the last revision of the
// batch it covers. JSON, with the member as 16 hex digits and the revision as
// a decimal string (an int64 does not fit a JSON number exactly):
//   {"m":"00000000000000ff","r":"281474976710657"}
import { AutomergeDocError } from './automerge-doc-error.js';
import { assertU64 } from './txn-tag.js';

export interface ChangeOrigin {
  /** The member id (u64). */
  member: bigint;
  /** The last revision of the batch the change was committed for. */
  revision: bigint;
}

const int64Max = 2n ** 63n - 1n;
const memberHex = /^[0-9a-f]{16}$/;
const revisionDecimal = /^(0|[1-9][0-9]*)$/;

export function encodeChangeOrigin(origin: ChangeOrigin): string {
  assertU64(origin.member, 'origin member');
  if (typeof origin.revision !== 'bigint' || origin.revision < 0n || origin.revision > int64Max) {
    throw new AutomergeDocError(`origin revision must be a non-negative int64 bigint, got ${String(origin.revision)}`);
  }
  return JSON.stringify({ m: origin.member.toString(16).padStart(16, '0'), r: origin.revision.toString() });
}

/** The origin a change message names; undefined for a change without one (a single node's, the base, a rebase). */
export function decodeChangeOrigin(message: string | null | undefined): ChangeOrigin | undefined {
  if (message === null || message === undefined || !message.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (err) {
    throw new AutomergeDocError(`change message is not an origin: ${message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new AutomergeDocError(`change message is not an origin: ${message}`);
  const { m, r } = parsed as { m?: unknown; r?: unknown };
  if (typeof m !== 'string' || !memberHex.test(m) || typeof r !== 'string' || !revisionDecimal.test(r) || BigInt(r) > int64Max) {
    throw new AutomergeDocError(`change message is not an origin: ${message}`);
  }
  return { member: BigInt(`0x${m}`), revision: BigInt(r) };
}
