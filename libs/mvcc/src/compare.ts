// Txn compares as etcd's applyCompare/compareKV: evaluated on the state
// before the txn; with range_end every key in range must match; a missing
// key (or empty range) is compared as a zero KeyValue, except that a VALUE
// compare on it is always false.
import { asBuffer, compareResults, compareTargets, compareUnionField, enumName, keyBounds, opRequest, toInt, toLeaseId } from './convert.js';
import type { CompareTarget } from './convert.js';
import { kvAt } from './key-space.js';
import type { KeySpace } from './key-space.js';
import type { Compare, KeyValue, TxnRequest } from './types.js';

const zeroKv: KeyValue = { key: Buffer.alloc(0), create_revision: 0, mod_revision: 0, version: 0, value: Buffer.alloc(0), lease: '0' };

const unionFieldOf: Readonly<Record<CompareTarget, string>> = {
  VERSION: 'version',
  CREATE: 'create_revision',
  MOD: 'mod_revision',
  VALUE: 'value',
  LEASE: 'lease',
};

function sign(n: number | bigint): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

/** -1/0/1 of the kv's target field against the compare operand (an unset or mismatched operand is zero). */
function targetOrder(c: Compare, target: CompareTarget | undefined, kv: KeyValue): number {
  if (target === undefined) return 0;
  const operandSet = compareUnionField(c) === unionFieldOf[target];
  switch (target) {
    case 'VALUE':
      return sign(Buffer.compare(kv.value, operandSet ? asBuffer(c.value) : zeroKv.value));
    case 'LEASE':
      return sign(BigInt(kv.lease) - BigInt(operandSet ? toLeaseId(c.lease) : '0'));
    case 'VERSION':
      return sign(kv.version - (operandSet ? toInt(c.version) : 0));
    case 'CREATE':
      return sign(kv.create_revision - (operandSet ? toInt(c.create_revision) : 0));
    case 'MOD':
      return sign(kv.mod_revision - (operandSet ? toInt(c.mod_revision) : 0));
  }
}

function compareKv(c: Compare, target: CompareTarget | undefined, kv: KeyValue): boolean {
  const order = targetOrder(c, target, kv);
  switch (enumName(c.result, compareResults)) {
    case 'EQUAL':
      return order === 0;
    case 'NOT_EQUAL':
      return order !== 0;
    case 'GREATER':
      return order > 0;
    case 'LESS':
      return order < 0;
    default:
      return true; // etcd: an unknown result operator holds
  }
}

/** One compare against the newest state of the key space. */
export function applyCompare(space: KeySpace, c: Compare): boolean {
  const target = enumName(c.target, compareTargets);
  const b = keyBounds(c.key, c.range_end);
  let seen = false;
  let holds = true;
  if (b.single) {
    const kv = kvAt(space.history(b.start), Infinity);
    if (kv) {
      seen = true;
      holds = compareKv(c, target, kv);
    }
  } else if (!b.empty) {
    space.scan(b.start, b.end, (_key, h) => {
      const kv = kvAt(h, Infinity);
      if (!kv) return true;
      seen = true;
      holds = compareKv(c, target, kv);
      return holds;
    });
  }
  if (seen) return holds;
  return target === 'VALUE' ? false : compareKv(c, target, zeroKv);
}

/**
 * etcd's compareToPath: the outcome of the txn's compares, then (depth first,
 * in op order) those of every nested txn on the branch taken, all evaluated
 * before any op runs so nested compares never see the txn's own writes.
 */
export function compareToPath(space: KeySpace, txn: TxnRequest): boolean[] {
  const succeeded = (txn.compare ?? []).every((c) => applyCompare(space, c));
  const path = [succeeded];
  for (const op of (succeeded ? txn.success : txn.failure) ?? []) {
    const r = opRequest(op);
    if (r?.kind === 'txn') path.push(...compareToPath(space, r.req));
  }
  return path;
}
