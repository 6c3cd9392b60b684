// Txn validation before apply: duplicate keys (checkIntervals), the 128-op
// limit and its budget for nested txns, empty ops and keys (docs/ETCD-BEHAVIOUR.md §2.6, §8.7, §8.11).
import { cmp, fails, ok, op, put, raw, txn } from '../harness/dsl.js';
import type { ReqObject, ScenarioGroup } from '../harness/scenario.js';

const putsOf = (p: string, n: number): ReqObject[] => Array.from({ length: n }, (_, i) => op.put(`${p}k${i}`, 'v'));
const rangesOf = (p: string, n: number): ReqObject[] => Array.from({ length: n }, (_, i) => op.range(`${p}k${i}`));
const comparesOf = (p: string, n: number): ReqObject[] => Array.from({ length: n }, (_, i) => cmp('VERSION', `${p}k${i}`, 'EQUAL', 0));

export const txnValidation: ScenarioGroup = {
  area: 'Txn: validation',
  scenarios: [
    {
      name: 'two puts of one key',
      ref: '§2.6 §8.7',
      steps: [fails(txn({ success: [op.put('tv01/a', '1'), op.put('tv01/a', '2')] }), 'DuplicateKey')],
    },
    {
      name: 'delete and put of one key',
      ref: '§2.6 §8.7',
      steps: [fails(txn({ success: [op.del('tv02/a'), op.put('tv02/a', '1')] }), 'DuplicateKey')],
    },
    {
      name: 'put then a delete range covering it',
      ref: '§2.6 §8.7',
      steps: [fails(txn({ success: [op.put('tv03/t5', '1'), op.del('tv03/t', { range_end: 'tv03/u' })] }), 'DuplicateKey')],
    },
    {
      name: 'delete range then a put inside it',
      ref: '§2.6 §8.7',
      steps: [fails(txn({ success: [op.del('tv04/t', { range_end: 'tv04/u' }), op.put('tv04/t5', '1')] }), 'DuplicateKey')],
    },
    {
      name: 'put at the exclusive end of a delete range is allowed',
      ref: '§2.6',
      steps: [ok(txn({ success: [op.del('tv05/t', { range_end: 'tv05/u' }), op.put('tv05/u', '1')] }))],
    },
    {
      name: 'delete range to "\\0" and a put after its key',
      ref: '§2.6',
      steps: [txn({ success: [op.del('zz/tv06/a', { range_end: '\0' }), op.put('zz/tv06/b', '1')] })],
    },
    {
      name: 'one key in the success and the failure branch is allowed',
      ref: '§2.6 §8.7',
      steps: [ok(txn({ compare: [cmp('VERSION', 'tv07/a', 'EQUAL', 0)], success: [op.put('tv07/a', 's')], failure: [op.put('tv07/a', 'f')] }), { succeeded: true })],
    },
    {
      name: 'overlapping delete ranges are allowed',
      ref: '§2.6 §8.7',
      steps: [put('tv08/b', '1'), ok(txn({ success: [op.del('tv08/a', { range_end: 'tv08/c' }), op.del('tv08/b', { range_end: 'tv08/d' })] }))],
    },
    {
      name: 'range and put of one key are allowed',
      ref: '§2.6',
      steps: [ok(txn({ success: [op.range('tv09/a'), op.put('tv09/a', '1'), op.range('tv09/a')] }))],
    },
    {
      name: 'two deletes of one key are allowed',
      ref: '§2.6',
      steps: [put('tv10/a', '1'), ok(txn({ success: [op.del('tv10/a'), op.del('tv10/a')] }))],
    },
    {
      name: 'duplicate in the failure branch is rejected even when success is taken',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.put('tv11/a', '1')], failure: [op.put('tv11/b', '1'), op.put('tv11/b', '2')] }), 'DuplicateKey')],
    },
    {
      name: 'nested put of a key the outer txn puts',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.put('tv12/a', '1'), op.txn({ success: [op.put('tv12/a', '2')] })] }), 'DuplicateKey')],
    },
    {
      name: 'one key in the then and else branches of a nested txn is allowed',
      ref: '§2.6',
      steps: [ok(txn({ success: [op.txn({ compare: [cmp('VERSION', 'tv13/a', 'EQUAL', 0)], success: [op.put('tv13/a', 's')], failure: [op.put('tv13/a', 'f')] })] }))],
    },
    {
      name: 'duplicate inside a nested branch',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.txn({ failure: [op.put('tv14/a', '1'), op.put('tv14/a', '2')] })] }), 'DuplicateKey')],
    },
    {
      name: 'outer delete range and a nested put inside it',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.del('tv15/', { range_end: 'tv150' }), op.txn({ success: [op.put('tv15/a', '1')] })] }), 'DuplicateKey')],
    },
    {
      name: 'nested delete and an outer put of the key',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.txn({ success: [op.del('tv16/a')] }), op.put('tv16/a', '1')] }), 'DuplicateKey')],
    },
    {
      name: 'two nested txns putting one key',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.txn({ success: [op.put('tv17/a', '1')] }), op.txn({ success: [op.put('tv17/a', '2')] })] }), 'DuplicateKey')],
    },
    {
      name: 'nested delete before a nested put of the key',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.txn({ success: [op.del('tv18/a')] }), op.txn({ success: [op.put('tv18/a', '1')] })] }), 'DuplicateKey')],
    },
    {
      name: 'nested put before a nested delete of the key',
      ref: '§2.6',
      // checkIntervals checks a nested txn's puts only against deletes
      // collected so far, so this order passes validation in etcd.
      steps: [txn({ success: [op.txn({ success: [op.put('tv19/a', '1')] }), op.txn({ success: [op.del('tv19/a')] })] }), { call: 'range', req: { key: 'tv19/a' } }],
    },
    {
      name: '128 puts are allowed',
      ref: '§2.6 §8.11',
      steps: [ok(txn({ success: putsOf('tv20/', 128) }), { succeeded: true })],
    },
    {
      name: '129 puts are too many',
      ref: '§2.6 §8.11',
      steps: [fails(txn({ success: putsOf('tv21/', 129) }), 'TooManyOps')],
    },
    {
      name: '129 compares are too many',
      ref: '§2.6',
      steps: [fails(txn({ compare: comparesOf('tv22/', 129) }), 'TooManyOps')],
    },
    {
      name: '129 ops in the failure branch are too many',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.range('tv23/a')], failure: rangesOf('tv23/', 129) }), 'TooManyOps')],
    },
    {
      name: '128 compares and 128 ops in each branch are allowed',
      ref: '§2.6',
      steps: [ok(txn({ compare: comparesOf('tv24/', 128), success: rangesOf('tv24/', 128), failure: rangesOf('tv24/', 128) }))],
    },
    {
      name: 'nested txns share the op budget: 100 outer + 29 nested',
      ref: '§2.6',
      steps: [fails(txn({ success: [...rangesOf('tv25/', 99), op.txn({ success: rangesOf('tv25/n', 29) })] }), 'TooManyOps')],
    },
    {
      name: 'nested txns share the op budget: 100 outer + 28 nested',
      ref: '§2.6',
      steps: [ok(txn({ success: [...rangesOf('tv26/', 99), op.txn({ success: rangesOf('tv26/n', 28) })] }))],
    },
    {
      name: 'a RequestOp with no request',
      ref: '§2.6',
      steps: [fails(raw('txn', { success: [{}] }), 'KeyNotFound')],
    },
    {
      name: 'a RequestOp with no request in the failure branch',
      ref: '§2.6',
      steps: [fails(raw('txn', { success: [op.range('tv28/a')], failure: [{}] }), 'KeyNotFound')],
    },
    {
      name: 'empty key in a put, a range and a delete op',
      ref: '§1.5 §2.6',
      steps: [fails(txn({ success: [op.put('', '1')] }), 'EmptyKey'), fails(txn({ success: [op.range('')] }), 'EmptyKey'), fails(txn({ failure: [op.del('')] }), 'EmptyKey')],
    },
    {
      name: 'empty key inside a nested txn',
      ref: '§1.5 §2.6',
      steps: [fails(txn({ success: [op.txn({ compare: [cmp('VALUE', '', 'EQUAL', 'x')] })] }), 'EmptyKey')],
    },
    {
      name: 'ignore_value with a value inside a txn',
      ref: '§2.4 §2.6',
      steps: [fails(txn({ success: [op.put('tv31/a', 'v', { ignore_value: true })] }), 'ValueProvided')],
    },
    {
      name: 'ignore_lease with a lease inside a txn',
      ref: '§2.4 §2.6',
      steps: [fails(txn({ failure: [op.put('tv32/a', 'v', { ignore_lease: true, lease: 5 })] }), 'LeaseProvided')],
    },
    {
      name: 'too many ops is checked before empty keys',
      ref: '§2.6',
      steps: [fails(txn({ compare: [cmp('VERSION', '', 'EQUAL', 0)], success: putsOf('tv33/', 129) }), 'TooManyOps')],
    },
    {
      name: 'empty key is checked before duplicate keys',
      ref: '§2.6',
      steps: [fails(txn({ success: [op.put('tv34/a', '1'), op.put('tv34/a', '2'), op.put('', '3')] }), 'EmptyKey')],
    },
  ],
};
