// Tolerant readers for proto-loader style objects: int64 as string/number/
// bigint/Long, enums as names or numbers, bytes as any Uint8Array, oneofs
// with or without their discriminator. Keys are handled internally as Latin-1
// strings: one char per byte, so JS string order is unsigned byte order.
import type {
  BytesInput,
  Compare,
  CompareTargetField,
  DeleteRangeRequest,
  EnumInput,
  IntInput,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from './types.js';

export const emptyBytes: Buffer = Buffer.alloc(0);
export const noLease = '0';

/** Reads an int64 field as a JS number; unset, empty or malformed = 0. */
export function toInt(x: IntInput | null | undefined): number {
  if (x === null || x === undefined) return 0;
  if (typeof x === 'number') return Number.isFinite(x) ? Math.trunc(x) : 0;
  const n = Number(typeof x === 'string' || typeof x === 'bigint' ? x : x.toString());
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Reads a lease id exactly (all 64 bits) as a canonical decimal string; unset = '0'. */
export function toLeaseId(x: IntInput | null | undefined): string {
  if (x === null || x === undefined || x === '') return noLease;
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number') return Number.isSafeInteger(x) ? String(x) : BigInt(Math.trunc(x)).toString();
  try {
    return BigInt(typeof x === 'string' ? x : x.toString()).toString();
  } catch {
    return noLease;
  }
}

/** A Buffer view of the input bytes (no copy): only for reading right away. */
export function asBuffer(b: BytesInput | null | undefined): Buffer {
  if (b === null || b === undefined) return emptyBytes;
  if (Buffer.isBuffer(b)) return b;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** An owned copy: decoded protobuf bytes are views into big message buffers that must not be retained. */
export function copyBytes(b: BytesInput | null | undefined): Buffer {
  if (b === null || b === undefined || b.byteLength === 0) return emptyBytes;
  return Buffer.from(asBuffer(b));
}

export function keyString(b: BytesInput | null | undefined): string {
  return asBuffer(b).toString('latin1');
}

export function bytesLength(b: BytesInput | null | undefined): number {
  return b === null || b === undefined ? 0 : b.byteLength;
}

/** Reads an enum as its name; an unknown number or name gives undefined. */
export function enumName<T extends string>(x: EnumInput | null | undefined, names: readonly T[]): T | undefined {
  if (x === null || x === undefined) return names[0];
  if (typeof x === 'number') return names[x];
  const upper = x.toUpperCase();
  return (names as readonly string[]).includes(upper) ? (upper as T) : undefined;
}

export const sortOrders = ['NONE', 'ASCEND', 'DESCEND'] as const;
export const sortTargets = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
export const compareResults = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
export const compareTargets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
export type SortOrder = (typeof sortOrders)[number];
export type SortTarget = (typeof sortTargets)[number];
export type CompareResult = (typeof compareResults)[number];
export type CompareTarget = (typeof compareTargets)[number];

/**
 * A key interval in Latin-1 form. `end` undefined = +infinity; `single` = just
 * `start`; `empty` when range_end <= key (etcd returns nothing then).
 */
export interface KeyBounds {
  start: string;
  end: string | undefined;
  single: boolean;
  empty: boolean;
}

/** etcd's range_end rules: empty = one key, "\0" = every key >= key, <= key = empty. */
export function keyBounds(key: BytesInput | null | undefined, rangeEnd: BytesInput | null | undefined): KeyBounds {
  const start = keyString(key);
  const endBytes = asBuffer(rangeEnd);
  if (endBytes.length === 0) return { start, end: start, single: true, empty: false };
  if (endBytes.length === 1 && endBytes[0] === 0) return { start, end: undefined, single: false, empty: false };
  const end = endBytes.toString('latin1');
  return { start, end, single: false, empty: end <= start };
}

/** clientv3 GetPrefixRangeEnd: last byte below 0xff incremented, the rest dropped; all 0xff (or empty) → "\0". */
export function prefixEnd(key: Uint8Array): Buffer {
  for (let i = key.length - 1; i >= 0; i--) {
    const byte = key[i]!;
    if (byte < 0xff) {
      const end = Buffer.from(key.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

export type OpRequest =
  | { kind: 'range'; req: RangeRequest }
  | { kind: 'put'; req: PutRequest }
  | { kind: 'delete_range'; req: DeleteRangeRequest }
  | { kind: 'txn'; req: TxnRequest };

/** The request a RequestOp carries (discriminator first, else the set field); undefined if none. */
export function opRequest(op: RequestOp | null | undefined): OpRequest | undefined {
  if (op === null || op === undefined) return undefined;
  const field = op.request ?? firstSet(op, ['request_range', 'request_put', 'request_delete_range', 'request_txn']);
  switch (field) {
    case 'request_range':
      return op.request_range ? { kind: 'range', req: op.request_range } : undefined;
    case 'request_put':
      return op.request_put ? { kind: 'put', req: op.request_put } : undefined;
    case 'request_delete_range':
      return op.request_delete_range ? { kind: 'delete_range', req: op.request_delete_range } : undefined;
    case 'request_txn':
      return op.request_txn ? { kind: 'txn', req: op.request_txn } : undefined;
    default:
      return undefined;
  }
}

/** Which target_union member a Compare carries (discriminator first, else the set field). */
export function compareUnionField(c: Compare): CompareTargetField | undefined {
  return c.target_union ?? firstSet(c, ['version', 'create_revision', 'mod_revision', 'value', 'lease']);
}

function firstSet<T extends object, K extends keyof T & string>(obj: T, fields: readonly K[]): K | undefined {
  return fields.find((f) => obj[f] !== null && obj[f] !== undefined);
}
