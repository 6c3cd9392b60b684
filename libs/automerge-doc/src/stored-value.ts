// How a key's value and lease are stored: ONE bytes value per key in the `kv`
// map, with a small header in front, so every write is a single Automerge put.
// A second `lease` map would mean two ops per leased write (and a read on every
// unleased write, to know whether an old lease entry must be deleted);
// docs/AUTOMERGE-MEASUREMENTS.md has the measured difference.
//
//   [0x00] value...                    no lease ("0")
//   [0x01] lease int64 big-endian (8)  value...
//   [0x02] hlc u64 | member u64 | origin revision i64 | flags u8 | lease i64 if flag | value...
//          (all big-endian; flags bit0 tombstone, bit1 lease): a tagged write
//          of a member with peers (docs/ARCHITECTURE.md §8.2). A tombstone is
//          a delete that competes with puts; it has no lease and no value.
//
// 0x00/0x01 read as tag (0, 0), origin revision 0, never a tombstone.
//
// The tag byte doubles as a format version: a reader meeting an unknown tag
// fails loudly instead of misreading bytes.
import { AutomergeDocError } from './automerge-doc-error.js';
import { assertU64, untaggedTag } from './txn-tag.js';
import type { TxnTag } from './txn-tag.js';

const tagNoLease = 0x00;
const tagLease = 0x01;
const tagTagged = 0x02;
const leaseBytes = 8;
const flagTombstone = 0x01;
const flagLease = 0x02;
/** tag byte, hlc, member, origin revision, flags */
const taggedHeaderBytes = 1 + 8 + 8 + 8 + 1;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
// Canonical decimal only, so that lease strings round-trip exactly.
const decimalInt = /^(0|-?[1-9][0-9]*)$/;

export interface StoredValue {
  value: Uint8Array;
  lease: string;
}

/** A stored value with everything its header says (any format). */
export interface TaggedStoredValue extends StoredValue {
  tag: TxnTag;
  /** The writer's revision of the write (0 for untagged values). */
  originRevision: bigint;
  /** A delete: value empty, lease "0". */
  tombstone: boolean;
}

export function encodeStoredValue(value: Uint8Array, lease: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new AutomergeDocError('value must be a Uint8Array');
  const id = parseLease(lease);
  if (id === 0n) {
    const out = new Uint8Array(1 + value.length);
    out[0] = tagNoLease;
    out.set(value, 1);
    return out;
  }
  const out = new Uint8Array(1 + leaseBytes + value.length);
  out[0] = tagLease;
  new DataView(out.buffer).setBigInt64(1, id);
  out.set(value, 1 + leaseBytes);
  return out;
}

/** The returned value is a view into `stored`, which the caller owns (Automerge hands out fresh copies). */
export function decodeStoredValue(stored: unknown): StoredValue {
  if (!(stored instanceof Uint8Array) || stored.length === 0) {
    throw new AutomergeDocError('stored value is not eckd bytes');
  }
  if (stored[0] === tagNoLease) return { value: stored.subarray(1), lease: '0' };
  if (stored[0] === tagLease && stored.length >= 1 + leaseBytes) {
    const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
    return { value: stored.subarray(1 + leaseBytes), lease: view.getBigInt64(1).toString() };
  }
  if (stored[0] === tagTagged) {
    const { value, lease } = decodeTaggedStoredValue(stored);
    return { value, lease };
  }
  throw new AutomergeDocError(`stored value has unknown header tag ${stored[0]}`);
}

/** A tagged write (format 0x02); a tombstone takes no value and no lease. */
export function encodeTaggedStoredValue(write: {
  value: Uint8Array;
  lease: string;
  tag: TxnTag;
  originRevision: bigint;
  tombstone: boolean;
}): Uint8Array {
  if (!(write.value instanceof Uint8Array)) throw new AutomergeDocError('value must be a Uint8Array');
  assertU64(write.tag.hlc, 'tag hlc');
  assertU64(write.tag.member, 'tag member');
  if (typeof write.originRevision !== 'bigint' || write.originRevision < int64Min || write.originRevision > int64Max) {
    throw new AutomergeDocError(`origin revision must be an int64 bigint, got ${String(write.originRevision)}`);
  }
  const lease = parseLease(write.lease);
  if (write.tombstone && (lease !== 0n || write.value.length > 0)) throw new AutomergeDocError('a tombstone has no value and no lease');
  const headerBytes = taggedHeaderBytes + (lease === 0n ? 0 : leaseBytes);
  const out = new Uint8Array(headerBytes + write.value.length);
  const view = new DataView(out.buffer);
  out[0] = tagTagged;
  view.setBigUint64(1, write.tag.hlc);
  view.setBigUint64(9, write.tag.member);
  view.setBigInt64(17, write.originRevision);
  out[25] = (write.tombstone ? flagTombstone : 0) | (lease === 0n ? 0 : flagLease);
  if (lease !== 0n) view.setBigInt64(taggedHeaderBytes, lease);
  out.set(write.value, headerBytes);
  return out;
}

/** Any format with its full header; the value is a view into `stored`. */
export function decodeTaggedStoredValue(stored: unknown): TaggedStoredValue {
  if (!(stored instanceof Uint8Array) || stored.length === 0) {
    throw new AutomergeDocError('stored value is not eckd bytes');
  }
  if (stored[0] !== tagTagged) {
    return { ...decodeStoredValue(stored), tag: untaggedTag, originRevision: 0n, tombstone: false };
  }
  if (stored.length < taggedHeaderBytes) throw new AutomergeDocError(`tagged stored value truncated (${stored.length} bytes)`);
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  const flags = stored[25]!;
  if ((flags & ~(flagTombstone | flagLease)) !== 0) throw new AutomergeDocError(`tagged stored value has unknown flags ${flags}`);
  const hasLease = (flags & flagLease) !== 0;
  const headerBytes = taggedHeaderBytes + (hasLease ? leaseBytes : 0);
  if (stored.length < headerBytes) throw new AutomergeDocError(`tagged stored value truncated (${stored.length} bytes)`);
  const tombstone = (flags & flagTombstone) !== 0;
  if (tombstone && stored.length > taggedHeaderBytes) throw new AutomergeDocError('tombstone carries a value or a lease');
  return {
    value: stored.subarray(headerBytes),
    lease: hasLease ? view.getBigInt64(taggedHeaderBytes).toString() : '0',
    tag: { hlc: view.getBigUint64(1), member: view.getBigUint64(9) },
    originRevision: view.getBigInt64(17),
    tombstone,
  };
}

/** A lease id as a canonical decimal int64 string ("0" meaning none), as bigint. */
export function parseLease(lease: string): bigint {
  if (typeof lease !== 'string' || !decimalInt.test(lease)) {
    throw new AutomergeDocError(`lease must be a canonical decimal int64 string, got ${JSON.stringify(lease)}`);
  }
  const id = BigInt(lease);
  if (id < int64Min || id > int64Max) throw new AutomergeDocError(`lease ${lease} is outside int64`);
  return id;
}
