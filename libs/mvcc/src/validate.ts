// Request validation done before a write is sent (etcd v3rpc/key.go): pure
// checks that throw KvError, in etcd's order. checkTxnRequest includes the
// duplicate-key rule (checkIntervals) for both branches.
import { bytesLength, enumName, keyString, opRequest, sortOrders, sortTargets, toLeaseId } from './convert.js';
import { KvError } from './errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types.js';

/** etcd's default --max-txn-ops. */
export const maxTxnOpsDefault = 128;

export interface RangeCheckOptions {
  /** etcd 3.6: an unknown sort_order/sort_target enum is InvalidSortOption (3.4/3.5 accept it). */
  strictSort?: boolean;
}

export interface TxnCheckOptions extends RangeCheckOptions {
  maxTxnOps: number;
}

export function checkRangeRequest(req: RangeRequest, opts: RangeCheckOptions = {}): void {
  if (bytesLength(req.key) === 0) throw new KvError('EmptyKey');
  if (!opts.strictSort) return;
  if (enumName(req.sort_order, sortOrders) === undefined || enumName(req.sort_target, sortTargets) === undefined) {
    throw new KvError('InvalidSortOption');
  }
}

export function checkPutRequest(req: PutRequest): void {
  if (bytesLength(req.key) === 0) throw new KvError('EmptyKey');
  if (req.ignore_value && bytesLength(req.value) !== 0) throw new KvError('ValueProvided');
  if (req.ignore_lease && toLeaseId(req.lease) !== '0') throw new KvError('LeaseProvided');
}

export function checkDeleteRangeRequest(req: DeleteRangeRequest): void {
  if (bytesLength(req.key) === 0) throw new KvError('EmptyKey');
}

function checkRequestOp(op: RequestOp, opts: TxnCheckOptions): void {
  const r = opRequest(op);
  switch (r?.kind) {
    case 'range':
      return checkRangeRequest(r.req, opts);
    case 'put':
      return checkPutRequest(r.req);
    case 'delete_range':
      return checkDeleteRangeRequest(r.req);
    case 'txn':
      return checkTxnShape(r.req, opts);
    default:
      throw new KvError('KeyNotFound', { detail: 'request op without a request' });
  }
}

function checkTxnShape(req: TxnRequest, opts: TxnCheckOptions): void {
  const compare = req.compare ?? [];
  const success = req.success ?? [];
  const failure = req.failure ?? [];
  const ops = Math.max(compare.length, success.length, failure.length);
  if (ops > opts.maxTxnOps) throw new KvError('TooManyOps');
  for (const c of compare) if (bytesLength(c.key) === 0) throw new KvError('EmptyKey');
  // As etcd: a nested txn gets what its parent left of the op budget.
  const nested = { ...opts, maxTxnOps: opts.maxTxnOps - ops };
  for (const op of success) checkRequestOp(op, nested);
  for (const op of failure) checkRequestOp(op, nested);
}

export function checkTxnRequest(req: TxnRequest, opts: TxnCheckOptions): void {
  checkTxnShape(req, opts);
  // Checked after the shape, as etcd does, so the op limit bounds this work.
  checkIntervals(req.success ?? []);
  checkIntervals(req.failure ?? []);
}

/** A deleted interval [start, end), or a single key when end is undefined. */
interface DeleteInterval {
  start: string;
  end: string | undefined;
}

function deletes(dels: readonly DeleteInterval[], key: string): boolean {
  // Like etcd's interval tree: an interval with end <= start (including a
  // range_end of "\0") never contains a key.
  return dels.some((d) => (d.end === undefined ? d.start === key : d.start <= key && key < d.end));
}

/**
 * etcd's checkIntervals: in one branch (and the branches of its nested txns)
 * no key may be put twice, nor put when a delete of the same level or of a
 * nested txn covers it. A key put in both branches of a nested txn is fine.
 */
function checkIntervals(ops: readonly RequestOp[]): { puts: Set<string>; dels: DeleteInterval[] } {
  const dels: DeleteInterval[] = [];
  for (const op of ops) {
    const r = opRequest(op);
    if (r?.kind !== 'delete_range') continue;
    const end = bytesLength(r.req.range_end) === 0 ? undefined : keyString(r.req.range_end);
    dels.push({ start: keyString(r.req.key), end });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    const r = opRequest(op);
    if (r?.kind !== 'txn') continue;
    const then = checkIntervals(r.req.success ?? []);
    const otherwise = checkIntervals(r.req.failure ?? []);
    for (const k of then.puts) {
      if (puts.has(k) || deletes(dels, k)) throw new KvError('DuplicateKey');
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deletes(dels, k)) throw new KvError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    const r = opRequest(op);
    if (r?.kind !== 'put') continue;
    const k = keyString(r.req.key);
    if (puts.has(k) || deletes(dels, k)) throw new KvError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

