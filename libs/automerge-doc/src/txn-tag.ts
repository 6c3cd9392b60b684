// Transaction tags (docs/ARCHITECTURE.md §8.2): every write of one
// transaction carries the same tag (hlc, member id); on every member a key's
// visible value is the one with the highest tag, so concurrent transactions
// win or lose as a whole and all members agree.
import { AutomergeDocError } from './automerge-doc-error.js';

export interface TxnTag {
  /** Hybrid logical clock: wall milliseconds × 2^16 + a counter. */
  hlc: bigint;
  /** The writing member's 64-bit id. */
  member: bigint;
}

/** The tag of values written without one (formats 0x00/0x01): below every real tag. */
export const untaggedTag: TxnTag = Object.freeze({ hlc: 0n, member: 0n });

const u64Max = 2n ** 64n - 1n;
/** Bits of the HLC below the milliseconds: the counter for tags within one millisecond. */
const counterBits = 16n;

/** Total order: hlc first, then member id. */
export function compareTags(a: TxnTag, b: TxnTag): -1 | 0 | 1 {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  if (a.member !== b.member) return a.member < b.member ? -1 : 1;
  return 0;
}

export function assertU64(n: bigint, what: string): void {
  if (typeof n !== 'bigint' || n < 0n || n > u64Max) throw new AutomergeDocError(`${what} must be a u64 bigint, got ${String(n)}`);
}

/**
 * A member's hybrid logical clock. `next()` is strictly increasing even when
 * the wall clock steps back (it then counts on from the last value), and
 * `observe()` raises it past a peer's tag, so a transaction made after seeing
 * another always carries the higher tag.
 */
export class HybridClock {
  private last = 0n;

  constructor(
    readonly member: bigint,
    private readonly nowMs: () => number = Date.now,
  ) {
    assertU64(member, 'member id');
  }

  /** The tag for the next local transaction. */
  next(): TxnTag {
    const wall = BigInt(Math.max(0, Math.floor(this.nowMs()))) << counterBits;
    this.last = wall > this.last ? wall : this.last + 1n;
    if (this.last > u64Max) throw new AutomergeDocError('hybrid clock passed u64');
    return { hlc: this.last, member: this.member };
  }

  /** Raises the clock past a tag applied from a peer. */
  observe(tag: TxnTag): void {
    if (tag.hlc > this.last) this.last = tag.hlc;
  }

  /** The last hlc handed out or observed. */
  current(): bigint {
    return this.last;
  }
}
