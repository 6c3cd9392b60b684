// Short builders for scenario tables. They only assemble plain request
// objects (field names as in rpc.proto); nothing here talks to a server.
import type { RpcErrorName } from '@eckd/etcd-proto';
import type { BytesMarker, Expect, KnownDifference, ReqObject, ReqValue, RevMarker, Step, TieField } from './scenario.js';

/** The scenario's base revision + n (the base is read before the first step). */
export const rev = (n: number): RevMarker => ({ $rev: n });
/** A value of n bytes. */
export const bytes = (n: number, fill?: string): BytesMarker => (fill === undefined ? { $bytes: n } : { $bytes: n, fill });

interface StepExtras {
  expect?: Expect;
  ties?: TieField;
  differs?: KnownDifference;
  ignore?: string[];
}

const mk = (call: Step['call'], req: ReqObject, extras: StepExtras = {}): Step => ({ call, req, ...extras });

export const range = (key: string, req: ReqObject = {}, extras?: StepExtras): Step => mk('range', { key, ...req }, extras);
export const put = (key: string, value: ReqValue, req: ReqObject = {}, extras?: StepExtras): Step => mk('put', { key, value, ...req }, extras);
export const del = (key: string, req: ReqObject = {}, extras?: StepExtras): Step => mk('deleteRange', { key, ...req }, extras);
export const compact = (revision: ReqValue, req: ReqObject = {}, extras?: StepExtras): Step => mk('compact', { revision, ...req }, extras);

export interface TxnBody {
  compare?: ReqObject[];
  success?: ReqObject[];
  failure?: ReqObject[];
}
export const txn = (body: TxnBody, extras?: StepExtras): Step => mk('txn', { ...body } as ReqObject, extras);
/** A raw request of any call, for requests the builders cannot express. */
export const raw = (call: Step['call'], req: ReqObject, extras?: StepExtras): Step => mk(call, req, extras);

/** The same step, expected to fail on etcd with the named error. */
export const fails = (step: Step, error: RpcErrorName): Step => ({ ...step, expect: { error } });
/** The same step, expected to succeed on etcd with a response containing `subset`. */
export const ok = (step: Step, subset: Record<string, unknown> = {}): Step => ({ ...step, expect: { ok: subset } });

// Compare targets and the target_union field each one uses.
const unionField = { VERSION: 'version', CREATE: 'create_revision', MOD: 'mod_revision', VALUE: 'value', LEASE: 'lease' } as const;
export type CmpTarget = keyof typeof unionField;
export type CmpResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

/** Compare{target, result, key, <union field>: operand, range_end?}; operand undefined leaves the union unset. */
export function cmp(target: CmpTarget, key: string, result: CmpResult, operand?: ReqValue, rangeEnd?: string): ReqObject {
  const c: ReqObject = { target, result, key };
  if (operand !== undefined) c[unionField[target]] = operand;
  if (rangeEnd !== undefined) c['range_end'] = rangeEnd;
  return c;
}

export const op = {
  range: (key: string, req: ReqObject = {}): ReqObject => ({ request_range: { key, ...req } }),
  put: (key: string, value: ReqValue, req: ReqObject = {}): ReqObject => ({ request_put: { key, value, ...req } }),
  del: (key: string, req: ReqObject = {}): ReqObject => ({ request_delete_range: { key, ...req } }),
  txn: (body: TxnBody): ReqObject => ({ request_txn: { ...body } as ReqObject }),
};

/** Puts of `pairs` as separate requests (one revision each), in order. */
export const puts = (...pairs: [string, string][]): Step[] => pairs.map(([k, v]) => put(k, v));

/** Lease calls; scenarios choose their lease ids so both servers hold the same ones. */
export const leaseGrant = (ID: string, TTL: number, extras?: StepExtras): Step => mk('leaseGrant', { ID, TTL: String(TTL) }, extras);
export const leaseRevoke = (ID: string, extras?: StepExtras): Step => mk('leaseRevoke', { ID }, extras);
export const leaseTimeToLive = (ID: string, keys = false, extras?: StepExtras): Step =>
  mk('leaseTimeToLive', { ID, keys }, { ignore: ['TTL'], ...extras });
export const leaseLeases = (extras?: StepExtras): Step => mk('leaseLeases', {}, extras);
/** Waits `ms` (for lease expiry) on each server. */
export const sleep = (ms: number): Step => mk('sleep', { ms });
