// Builders for the spec files: requests in proto-loader shape from strings.
import { KvError } from './errors.js';
import type { KvErrorName } from './errors.js';
import type { MvccStore } from './mvcc-store.js';
import type {
  Compare,
  DeleteRangeRequest,
  KeyValue,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
  WriteContext,
  WriteResult,
} from './types.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const str = (buf: Uint8Array | undefined): string => Buffer.from(buf ?? []).toString('latin1');

/** Leases '100' and '200' exist. */
export const ctx: WriteContext = { leaseExists: (id) => id === '100' || id === '200' };

export function put(store: MvccStore, key: string, value: string, extra: Partial<PutRequest> = {}): WriteResult {
  return store.write({ put: { key: b(key), value: b(value), ...extra } }, ctx);
}

export function del(store: MvccStore, key: string, rangeEnd?: string, extra: Partial<DeleteRangeRequest> = {}): WriteResult {
  return store.write({ delete_range: { key: b(key), range_end: rangeEnd === undefined ? undefined : b(rangeEnd), ...extra } }, ctx);
}

export function txn(store: MvccStore, req: TxnRequest): WriteResult {
  return store.write({ txn: req }, ctx);
}

export function get(store: MvccStore, key: string, extra: Partial<RangeRequest> = {}): KeyValue | undefined {
  return store.range({ key: b(key), ...extra }).kvs[0];
}

export function keysOf(kvs: readonly { key: Buffer }[]): string[] {
  return kvs.map((kv) => str(kv.key));
}

export const rangeOp = (key: string, rangeEnd?: string, extra: Partial<RangeRequest> = {}): RequestOp => ({
  request: 'request_range',
  request_range: { key: b(key), range_end: rangeEnd === undefined ? undefined : b(rangeEnd), ...extra },
});

export const putOp = (key: string, value = 'v', extra: Partial<PutRequest> = {}): RequestOp => ({
  request: 'request_put',
  request_put: { key: b(key), value: b(value), ...extra },
});

export const delOp = (key: string, rangeEnd?: string, extra: Partial<DeleteRangeRequest> = {}): RequestOp => ({
  request: 'request_delete_range',
  request_delete_range: { key: b(key), range_end: rangeEnd === undefined ? undefined : b(rangeEnd), ...extra },
});

export const txnOp = (req: TxnRequest): RequestOp => ({ request: 'request_txn', request_txn: req });

type Target = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
type Result = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
const unionField = { VERSION: 'version', CREATE: 'create_revision', MOD: 'mod_revision', VALUE: 'value', LEASE: 'lease' } as const;

export function cmp(key: string, target: Target, result: Result, operand: string | number, rangeEnd?: string): Compare {
  const field = unionField[target];
  return {
    key: b(key),
    range_end: rangeEnd === undefined ? undefined : b(rangeEnd),
    target,
    result,
    target_union: field,
    [field]: field === 'value' ? b(String(operand)) : String(operand),
  };
}

/** assert.throws validator: a KvError with the given etcd name. */
export function kvError(rpcName: KvErrorName): (err: unknown) => boolean {
  return (err: unknown) => err instanceof KvError && err.rpcName === rpcName && err.name === 'KvError' && err.message.startsWith('mvcc: ');
}
