// How a key's value and lease are stored: ONE bytes value per key in the `kv`
// map, with a small header in front, so every write is a single Automerge put.
// A second `lease` map would mean two ops per leased write (and a read on every
// unleased write, to know whether an old lease entry must be deleted);
// docs/AUTOMERGE-MEASUREMENTS.md has the measured difference.
//
//   [0x00] value...                    no lease ("0")
//   [0x01] lease int64 big-endian (8)  value...
//
// The tag byte doubles as a format version: a reader meeting an unknown tag
// fails loudly instead of misreading bytes.
import { AutomergeDocError } from './automerge-doc-error.js';

const tagNoLease = 0x00;
const tagLease = 0x01;
const leaseBytes = 8;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
// Canonical decimal only, so that lease strings round-trip exactly.
const decimalInt = /^(0|-?[1-9][0-9]*)$/;

export interface StoredValue {
  value: Uint8Array;
  lease: string;
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
  throw new AutomergeDocError(`stored value has unknown header tag ${stored[0]}`);
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
