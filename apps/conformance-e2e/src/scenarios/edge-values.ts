// Edge values (docs/ROBUSTNESS.md, Catalogue): revisions -1, 0, 1, current,
// current + 1 and 2^63 - 1 in Range, Txn and Compact; lease TTLs and ids at
// the ends of their ranges; nested Txns (deeper ones than this harness can
// encode are sent as raw bytes by apps/node-e2e/src/robustness.spec.ts);
// keys far above the request limit in reads; bytes fields present but empty
// vs absent. Each is compared with etcd's answer.
import { cmp, compact, fails, leaseGrant, leaseRevoke, leaseTimeToLive, ok, op, put, range, raw, rev, txn } from '../harness/dsl.js';
import type { ReqObject, ScenarioGroup } from '../harness/scenario.js';

/** 2^63 - 1, the largest int64, as the wire's decimal string. */
const int64Max = '9223372036854775807';

/** A Txn whose success branch holds a Txn, `depth` levels deep, the innermost holding `innermost`. */
function nestedTxn(depth: number, innermost: ReqObject[]): ReqObject {
  let body: ReqObject = { success: innermost };
  for (let level = 1; level < depth; level++) body = { success: [op.txn(body)] };
  return body;
}

/** `n` puts under `prefix`, one key each. */
const manyPuts = (prefix: string, n: number): ReqObject[] => Array.from({ length: n }, (_, i) => op.put(`${prefix}${i}`, 'v'));

export const edgeRevisions: ScenarioGroup = {
  area: 'Edge values: revisions',
  scenarios: [
    {
      name: 'range at revision -2^63, -1, 0, 1, current, current + 1 and 2^63 - 1',
      ref: '§2.3',
      steps: [
        put('eg01/a', '1'),
        put('eg01/a', '2'),
        ok(range('eg01/a', { revision: -1 }), { count: '1' }),
        ok(range('eg01/a', { revision: 0 }), { count: '1' }),
        ok(range('eg01/a', { revision: 1 }), { count: '0' }),
        ok(range('eg01/a', { revision: rev(2) }), { count: '1' }),
        fails(range('eg01/a', { revision: rev(3) }), 'FutureRev'),
        fails(range('eg01/a', { revision: int64Max }), 'FutureRev'),
        ok(range('eg01/a', { revision: '-9223372036854775808' }), { count: '1' }),
      ],
    },
    {
      name: 'txn compare of mod_revision with -1, 0 and 2^63 - 1',
      ref: '§2.6',
      steps: [
        put('eg02/a', '1'),
        txn({ compare: [{ key: 'eg02/a', target: 'MOD', result: 'GREATER', mod_revision: -1 }], success: [op.range('eg02/a')] }),
        txn({ compare: [{ key: 'eg02/a', target: 'MOD', result: 'EQUAL', mod_revision: 0 }], success: [op.range('eg02/a')] }),
        txn({ compare: [{ key: 'eg02/a', target: 'MOD', result: 'LESS', mod_revision: int64Max }], success: [op.range('eg02/a')] }),
        txn({ compare: [{ key: 'eg02/none', target: 'CREATE', result: 'EQUAL', create_revision: 0 }], success: [op.range('eg02/a')] }),
        txn({ compare: [{ key: 'eg02/a', target: 'VERSION', result: 'LESS', version: int64Max }], success: [op.range('eg02/a')] }),
      ],
    },
    {
      name: 'txn whose range op reads a future revision fails as a whole',
      ref: '§2.6 §2.3',
      steps: [
        fails(txn({ success: [op.put('eg03/a', '1'), op.range('eg03/a', { revision: int64Max })] }), 'FutureRev'),
        ok(txn({ success: [op.range('eg03/a', { revision: -1 })] })),
        ok(range('eg03/a'), { count: '0' }),
      ],
    },
    {
      name: 'range limit -1 and 2^63 - 1',
      ref: '§2.3',
      steps: [put('eg04/a', '1'), put('eg04/b', '2'), range('eg04/', { range_end: 'eg040', limit: -1 }), range('eg04/', { range_end: 'eg040', limit: int64Max })],
    },
    {
      name: 'range min/max mod and create revisions at -1 and 2^63 - 1',
      ref: '§2.3',
      steps: [
        put('eg05/a', '1'),
        range('eg05/', { range_end: 'eg050', min_mod_revision: -1, max_mod_revision: int64Max }),
        range('eg05/', { range_end: 'eg050', min_create_revision: int64Max }),
        range('eg05/', { range_end: 'eg050', max_create_revision: -1 }),
      ],
    },
  ],
};

export const edgeLeases: ScenarioGroup = {
  area: 'Edge values: leases',
  scenarios: [
    { name: 'grant of TTL -1', ref: '§2.8 §8.17', steps: [leaseGrant('72001', -1), leaseRevoke('72001')] },
    { name: 'grant of TTL 2^31', ref: '§2.8', steps: [ok(leaseGrant('72002', 2 ** 31), { TTL: String(2 ** 31) }), leaseRevoke('72002')] },
    { name: 'grant of the largest TTL, 9,000,000,000 s', ref: '§2.8 §8.17', steps: [ok(leaseGrant('72003', 9_000_000_000)), leaseRevoke('72003')] },
    {
      name: 'grant of TTL 2^63 - 1 is too large',
      ref: '§2.8 §8.17',
      steps: [fails(raw('leaseGrant', { ID: '72004', TTL: int64Max }), 'LeaseTTLTooLarge'), ok(leaseTimeToLive('72004', false, { ignore: [] }), { TTL: '-1' })],
    },
    {
      name: 'lease id -1: granted, keys attach to it, revoked',
      ref: '§2.8',
      steps: [leaseGrant('-1', 100), put('ex05/a', '1', { lease: '-1' }), leaseTimeToLive('-1', true), leaseRevoke('-1'), range('ex05/a')],
    },
    {
      name: 'lease id 2^63 - 1: granted, keys attach to it, revoked',
      ref: '§2.8',
      steps: [leaseGrant(int64Max, 100), put('ex06/a', '1', { lease: int64Max }), range('ex06/a'), leaseRevoke(int64Max), range('ex06/a')],
    },
    {
      name: 'lease id 0 is chosen by the server',
      ref: '§2.8',
      steps: [ok(leaseGrant('0', 2, { ignore: ['ID'] }), { TTL: '2' })],
    },
    {
      name: 'revoke and time to live of lease 0 and -2',
      ref: '§2.8 §8.18',
      steps: [fails(leaseRevoke('0'), 'LeaseNotFound'), fails(leaseRevoke('-2'), 'LeaseNotFound'), leaseTimeToLive('0', false, { ignore: [] }), leaseTimeToLive('-2', false, { ignore: [] })],
    },
    {
      name: 'put with lease -2 and 2^63 - 1 when neither exists',
      ref: '§2.4 §8.6',
      steps: [fails(put('ex09/a', '1', { lease: '-2' }), 'LeaseNotFound'), fails(put('ex09/a', '1', { lease: int64Max }), 'LeaseNotFound'), range('ex09/a')],
    },
    {
      name: 'grant of an existing id with another TTL',
      ref: '§2.8 §8.17',
      steps: [leaseGrant('72010', 10), fails(leaseGrant('72010', 20), 'LeaseExist'), leaseTimeToLive('72010'), leaseRevoke('72010')],
    },
  ],
};

export const edgeShapes: ScenarioGroup = {
  area: 'Edge values: nested and oversized requests',
  scenarios: [
    // Two protobuf messages per level; eckd decodes up to 128 levels, as deep as etcd's op budget lets a Txn go.
    { name: 'txn nested 48 levels deep', ref: '§2.6', steps: [ok(txn(nestedTxn(48, [op.put('en01/a', '1')]))), ok(range('en01/a'), { count: '1' })] },
    { name: 'txn nested 50 levels deep', ref: '§2.6', steps: [ok(txn(nestedTxn(50, [op.put('en02/a', '1')]))), ok(range('en02/a'), { count: '1' })] },
    { name: 'txn nested 128 levels deep (128 ops)', ref: '§2.6', steps: [ok(txn(nestedTxn(128, [op.put('en10/a', '1')]))), ok(range('en10/a'), { count: '1' })] },
    {
      name: 'txn nested 129 levels deep (129 ops)',
      ref: '§2.6',
      steps: [fails(txn(nestedTxn(129, [op.put('en11/a', '1')])), 'TooManyOps'), ok(range('en11/a'), { count: '0' })],
    },
    {
      name: 'txn of 127 puts and a nested txn of 128: the levels share the 128-op budget',
      ref: '§2.6 §8.11',
      steps: [fails(txn({ success: [...manyPuts('en04/a', 127), op.txn({ success: manyPuts('en04/b', 128) })] }), 'TooManyOps'), range('en04/', { range_end: 'en040', count_only: true })],
    },
    {
      name: 'txn with 129 ops one level down is refused',
      ref: '§2.6 §8.11',
      steps: [fails(txn({ success: [op.txn({ success: manyPuts('en05/a', 129) })] }), 'TooManyOps'), range('en05/', { range_end: 'en050', count_only: true })],
    },
    {
      name: 'txn whose levels put the same key',
      ref: '§2.6',
      steps: [txn({ success: [op.put('en06/a', '1'), op.txn({ success: [op.put('en06/a', '2')] })] }), range('en06/a')],
    },
    {
      name: 'range of a 1.6 MiB key (reads are not limited by the request size)',
      ref: '§1.2',
      steps: [range('eb01/' + 'k'.repeat(1_650_000))],
    },
    {
      name: 'delete of a 1.6 MiB key',
      ref: '§1.2',
      steps: [raw('deleteRange', { key: 'eb02/' + 'k'.repeat(1_650_000) })],
    },
  ],
};

// A bytes field set to "" is sent present but empty (protobufjs writes a set
// field even when empty: key "" is 0a 00 on the wire); a field left out is
// absent. etcd's Go server decodes the two to []byte{} and nil.
export const edgeEmptyFields: ScenarioGroup = {
  area: 'Edge values: bytes fields present but empty vs absent',
  scenarios: [
    {
      name: 'range: key present but empty vs absent',
      ref: '§2.2 §1.5',
      steps: [fails(raw('range', { key: '' }), 'EmptyKey'), fails(raw('range', {}), 'EmptyKey')],
    },
    {
      name: 'range: range_end present but empty vs absent',
      ref: '§2.2',
      steps: [put('ef02/a', '1'), put('ef02/b', '2'), range('ef02/a', { range_end: '' }), range('ef02/a')],
    },
    {
      name: 'txn: range_end present but empty vs absent in a compare and in a range op',
      ref: '§2.2 §2.6',
      steps: [
        put('ef08/a', '1'),
        txn({ compare: [cmp('CREATE', 'ef08/0', 'GREATER', 0, '')], success: [op.range('ef08/0', { range_end: '', count_only: true })], failure: [op.range('ef08/0', { count_only: true })] }),
        txn({ compare: [cmp('CREATE', 'ef08/0', 'GREATER', 0)], success: [op.range('ef08/0', { range_end: '', count_only: true })], failure: [op.range('ef08/0', { count_only: true })] }),
      ],
    },
    {
      name: 'range from key present but empty vs absent with range_end "\\0": the whole key space',
      ref: '§2.2',
      steps: [range('', { range_end: '\0', count_only: true }), raw('range', { range_end: '\0', count_only: true })],
    },
    {
      name: 'put and delete: key present but empty vs absent',
      ref: '§2.4 §2.5 §1.5',
      steps: [
        fails(raw('put', { key: '', value: 'x' }), 'EmptyKey'),
        fails(raw('put', { value: 'x' }), 'EmptyKey'),
        fails(raw('deleteRange', { key: '' }), 'EmptyKey'),
        fails(raw('deleteRange', {}), 'EmptyKey'),
      ],
    },
    {
      name: 'put: value present but empty vs absent',
      ref: '§2.4',
      steps: [put('ef05/a', ''), raw('put', { key: 'ef05/b' }), range('ef05/', { range_end: 'ef050' })],
    },
    {
      name: 'txn compare of value: "" set vs no target value',
      ref: '§2.6',
      steps: [
        put('ef06/a', ''),
        txn({ compare: [{ key: 'ef06/a', target: 'VALUE', result: 'EQUAL', value: '' }], success: [op.range('ef06/a')] }),
        txn({ compare: [{ key: 'ef06/a', target: 'VALUE', result: 'EQUAL' }], success: [op.range('ef06/a')] }),
      ],
    },
    {
      name: 'txn compare with no key',
      ref: '§2.6',
      steps: [txn({ compare: [{ target: 'VERSION', result: 'EQUAL', version: 0 }], success: [op.range('ef07/a')] })],
    },
  ],
};

/** Compaction edges change what later scenarios can read: run last, on servers of their own. */
export const edgeCompaction: ScenarioGroup = {
  area: 'Edge values: compaction',
  scenarios: [
    {
      name: 'compact at current + 1 and 2^63 - 1 is a future revision',
      ref: '§2.7',
      steps: [put('ec01/a', '1'), fails(compact(rev(2)), 'FutureRev'), fails(compact(int64Max), 'FutureRev')],
    },
    {
      name: 'compact at the current revision, then at -1, 0, 1 and current again',
      ref: '§2.7',
      steps: [
        put('ec02/a', '1'),
        put('ec02/a', '2'),
        ok(compact(rev(2))),
        fails(compact(-1), 'Compacted'),
        fails(compact(0), 'Compacted'),
        fails(compact(1), 'Compacted'),
        fails(compact(rev(2)), 'Compacted'),
        fails(range('ec02/a', { revision: 1 }), 'Compacted'),
        ok(range('ec02/a', { revision: -1 }), { count: '1' }),
      ],
    },
  ],
};
