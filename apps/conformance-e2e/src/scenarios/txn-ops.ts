// Txn execution: branches, op order and visibility, nested txns, revisions
// of read-only and no-op txns, errors in the chosen branch, the shapes
// kube-apiserver sends (docs/ETCD-BEHAVIOUR.md §2.6, §4, §8.8, §8.10).
import { cmp, fails, ok, op, put, puts, range, rev, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

const unknownLease = 12345;

export const txnOps: ScenarioGroup = {
  area: 'Txn: execution',
  scenarios: [
    {
      name: 'success branch: responses in op order',
      ref: '§2.6',
      steps: [
        put('to01/a', '1'),
        ok(txn({ compare: [cmp('VALUE', 'to01/a', 'EQUAL', '1')], success: [op.put('to01/b', '2'), op.range('to01/a'), op.del('to01/a'), op.put('to01/c', '3', { prev_kv: true })] }), { succeeded: true }),
      ],
    },
    {
      name: 'failure branch',
      ref: '§2.6',
      steps: [
        put('to02/a', '1'),
        ok(txn({ compare: [cmp('VALUE', 'to02/a', 'EQUAL', 'x')], success: [op.put('to02/b', 's')], failure: [op.put('to02/b', 'f'), op.range('to02/b')] }), { succeeded: false }),
      ],
    },
    {
      name: 'a range after a put in the same txn sees the new value',
      ref: '§2.6',
      steps: [put('to03/a', 'old'), txn({ success: [op.put('to03/a', 'new'), op.range('to03/a'), op.put('to03/b', 'b'), op.range('to03/', { range_end: 'to030' })] })],
    },
    {
      name: 'a range after a delete in the same txn',
      ref: '§2.6',
      steps: [...puts(['to04/a', '1'], ['to04/b', '2']), txn({ success: [op.del('to04/a', { prev_kv: true }), op.range('to04/', { range_end: 'to040', count_only: true })] })],
    },
    {
      name: 'several writes: one revision',
      ref: '§2.6',
      steps: [put('to05/x', '0'), ok(txn({ success: [op.put('to05/a', '1'), op.put('to05/b', '2'), op.del('to05/x')] }), { header: { revision: 'B+2' } }), range('to05/', { range_end: 'to050' })],
    },
    {
      name: 'read-only txn: no new revision',
      ref: '§2.6 §8.8',
      steps: [put('to06/a', '1'), ok(txn({ compare: [cmp('VERSION', 'to06/a', 'EQUAL', 1)], success: [op.range('to06/a')], failure: [op.put('to06/a', 'no')] }), { header: { revision: 'B+1' } })],
    },
    {
      name: 'empty txn: succeeded, no responses, no revision',
      ref: '§2.6 §8.8',
      steps: [put('to07/a', '1'), ok(txn({}), { succeeded: true, responses: [], header: { revision: 'B+1' } })],
    },
    {
      name: 'txn deleting only a missing key: no revision',
      ref: '§2.6 §8.8',
      steps: [put('to08/a', '1'), ok(txn({ success: [op.del('to08/zzz')] }), { header: { revision: 'B+1' } })],
    },
    {
      name: 'failure branch without ops',
      ref: '§2.6',
      steps: [put('to09/a', '1'), ok(txn({ compare: [cmp('VALUE', 'to09/a', 'EQUAL', 'x')], success: [op.put('to09/b', '1')] }), { succeeded: false, responses: [] })],
    },
    {
      name: 'nested txn compares see the state before the outer txn',
      ref: '§2.6 §8.10',
      steps: [
        put('to10/x', '0'),
        txn({ success: [op.put('to10/n1', 'v'), op.txn({ compare: [cmp('VERSION', 'to10/n1', 'GREATER', 0)], success: [op.put('to10/n2', 'v')], failure: [op.range('to10/n2')] })] }),
      ],
    },
    {
      name: 'nested txn taking its success branch',
      ref: '§2.6',
      steps: [put('to11/a', '1'), txn({ success: [op.txn({ compare: [cmp('VALUE', 'to11/a', 'EQUAL', '1')], success: [op.put('to11/b', '2'), op.range('to11/a')] }), op.range('to11/b')] })],
    },
    {
      name: 'three levels of nesting',
      ref: '§2.6',
      steps: [
        put('to12/a', '1'),
        txn({
          compare: [cmp('VALUE', 'to12/a', 'EQUAL', '1')],
          success: [op.txn({ success: [op.txn({ compare: [cmp('VERSION', 'to12/a', 'EQUAL', 9)], success: [op.put('to12/no', '1')], failure: [op.put('to12/deep', '3')] }), op.put('to12/mid', '2')] })],
        }),
        range('to12/', { range_end: 'to120' }),
      ],
    },
    {
      name: 'nested read-only txn: no new revision',
      ref: '§2.6',
      steps: [put('to13/a', '1'), ok(txn({ success: [op.txn({ success: [op.range('to13/a')] })] }), { header: { revision: 'B+1' } })],
    },
    {
      name: 'write only in a nested txn makes a revision',
      ref: '§2.6',
      steps: [put('to14/a', '1'), ok(txn({ success: [op.range('to14/a'), op.txn({ success: [op.put('to14/b', '2')] })] }), { header: { revision: 'B+2' } })],
    },
    {
      name: 'unknown lease in the chosen branch fails the whole txn',
      ref: '§2.6',
      steps: [
        put('to15/a', '1'),
        fails(txn({ success: [op.put('to15/b', '2'), op.put('to15/c', '3', { lease: unknownLease })] }), 'LeaseNotFound'),
        ok(range('to15/', { range_end: 'to150' }), { count: '1', header: { revision: 'B+1' } }),
      ],
    },
    {
      name: 'unknown lease in the branch not taken is ignored',
      ref: '§2.6',
      steps: [
        put('to16/a', '1'),
        ok(txn({ compare: [cmp('VALUE', 'to16/a', 'EQUAL', '1')], success: [op.put('to16/b', '2')], failure: [op.put('to16/c', '3', { lease: unknownLease })] }), { succeeded: true }),
      ],
    },
    {
      name: 'future revision range in the chosen branch fails the txn',
      ref: '§2.6',
      steps: [put('to17/a', '1'), fails(txn({ success: [op.put('to17/b', '2'), op.range('to17/a', { revision: rev(50) })] }), 'FutureRev'), ok(range('to17/b'), { count: '0' })],
    },
    {
      name: 'future revision range in the branch not taken is ignored',
      ref: '§2.6',
      steps: [put('to18/a', '1'), ok(txn({ success: [op.range('to18/a')], failure: [op.range('to18/a', { revision: rev(50) })] }), { succeeded: true })],
    },
    {
      name: 'ignore_value on a missing key in the chosen branch fails the txn',
      ref: '§2.6',
      steps: [put('to19/a', '1'), fails(txn({ success: [op.put('to19/b', '2'), op.put('to19/c', '', { ignore_value: true })] }), 'KeyNotFound'), ok(range('to19/b'), { count: '0' })],
    },
    {
      name: 'ignore_value on a key put earlier in the same txn',
      ref: '§2.6',
      steps: [put('to20/x', '0'), txn({ success: [op.put('to20/a', '1'), op.txn({ success: [op.put('to20/b', '', { ignore_value: true })] })] })],
    },
    {
      name: 'ignore_lease and ignore_value on existing keys in a txn',
      ref: '§2.4 §2.6',
      steps: [
        ...puts(['to21/a', '1'], ['to21/b', '2']),
        txn({ success: [op.put('to21/a', '', { ignore_value: true, prev_kv: true }), op.put('to21/b', 'B', { ignore_lease: true })] }),
        range('to21/', { range_end: 'to210' }),
      ],
    },
    {
      name: 'range at a past revision inside a txn',
      ref: '§2.6',
      steps: [put('to22/a', '1'), put('to22/a', '2'), txn({ success: [op.put('to22/a', '3'), op.range('to22/a', { revision: rev(1) }), op.range('to22/a')] })],
    },
    {
      name: 'unknown lease in a nested chosen branch',
      ref: '§2.6',
      steps: [put('to23/a', '1'), txn({ success: [op.put('to23/b', '2'), op.txn({ success: [op.put('to23/c', '3', { lease: unknownLease })] })] }), range('to23/', { range_end: 'to230' })],
    },
    {
      name: 'future revision range in a nested chosen branch',
      ref: '§2.6',
      steps: [put('to24/a', '1'), txn({ success: [op.put('to24/b', '2'), op.txn({ success: [op.range('to24/a', { revision: rev(50) })] })] }), range('to24/', { range_end: 'to240' })],
    },
    {
      name: 'kube-apiserver create: MOD == 0 then put, twice',
      ref: '§4',
      steps: [
        ok(txn({ compare: [cmp('MOD', 'to25/pod', 'EQUAL', 0)], success: [op.put('to25/pod', 'v1')] }), { succeeded: true }),
        ok(txn({ compare: [cmp('MOD', 'to25/pod', 'EQUAL', 0)], success: [op.put('to25/pod', 'v1')] }), { succeeded: false }),
      ],
    },
    {
      name: 'kube-apiserver update: MOD == rv then put, else range',
      ref: '§4',
      steps: [
        put('to26/pod', 'v1'),
        ok(txn({ compare: [cmp('MOD', 'to26/pod', 'EQUAL', rev(1))], success: [op.put('to26/pod', 'v2')], failure: [op.range('to26/pod')] }), { succeeded: true }),
        ok(txn({ compare: [cmp('MOD', 'to26/pod', 'EQUAL', rev(1))], success: [op.put('to26/pod', 'v3')], failure: [op.range('to26/pod')] }), { succeeded: false }),
      ],
    },
    {
      name: 'kube-apiserver delete: MOD == rv then delete, else range',
      ref: '§4',
      steps: [
        put('to27/pod', 'v1'),
        ok(txn({ compare: [cmp('MOD', 'to27/pod', 'EQUAL', rev(1))], success: [op.del('to27/pod')], failure: [op.range('to27/pod')] }), { succeeded: true }),
        ok(txn({ compare: [cmp('MOD', 'to27/pod', 'EQUAL', rev(1))], success: [op.del('to27/pod')], failure: [op.range('to27/pod')] }), { succeeded: false }),
      ],
    },
    {
      name: 'kube-apiserver compaction bookkeeping txn',
      ref: '§4',
      steps: [
        ok(txn({ compare: [cmp('VERSION', 'to28/compact_rev_key', 'EQUAL', 0)], success: [op.put('to28/compact_rev_key', '5')], failure: [op.range('to28/compact_rev_key')] }), { succeeded: true }),
        ok(txn({ compare: [cmp('VERSION', 'to28/compact_rev_key', 'EQUAL', 0)], success: [op.put('to28/compact_rev_key', '9')], failure: [op.range('to28/compact_rev_key')] }), { succeeded: false }),
      ],
    },
    {
      name: 'delete range in a txn: deleted count and prev_kvs',
      ref: '§2.5 §2.6',
      steps: [...puts(['to29/a', '1'], ['to29/b', '2'], ['to29/c', '3']), txn({ success: [op.del('to29/a', { range_end: 'to29/c', prev_kv: true }), op.del('to29/none')] })],
    },
  ],
};
