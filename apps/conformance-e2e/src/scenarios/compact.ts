// Compact: boundaries, reads at and below the compact revision, physical,
// what compaction keeps (docs/ETCD-BEHAVIOUR.md §2.7, §8.12). These scenarios run in
// table order on servers of their own: each compacts at a revision of its
// own, above every earlier one.
import { compact, cmp, del, fails, ok, op, put, puts, range, rev, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

const three = (p: string) => puts([`${p}a`, '1'], [`${p}a`, '2'], [`${p}a`, '3']);

export const compactScenarios: ScenarioGroup = {
  area: 'Compact',
  scenarios: [
    {
      // Must stay first: on a fresh store the compact revision is -1.
      name: 'compact 0 on a store never compacted',
      ref: '§2.7',
      steps: [compact(0), put('co01/a', '1'), compact(0)],
    },
    {
      name: 'compact below the current revision, then read around it',
      ref: '§2.7 §8.12',
      steps: [
        ...three('co02/'),
        ok(compact(rev(2)), { header: { revision: 'B+3' } }),
        ok(range('co02/a', { revision: rev(2) }), { kvs: [{ value: '2' }] }),
        fails(range('co02/a', { revision: rev(1) }), 'Compacted'),
        ok(range('co02/a'), { kvs: [{ value: '3' }] }),
      ],
    },
    {
      name: 'compact the same revision twice',
      ref: '§2.7 §8.12',
      steps: [...three('co03/'), compact(rev(2)), fails(compact(rev(2)), 'Compacted')],
    },
    {
      name: 'compact below the compact revision',
      ref: '§2.7 §8.12',
      steps: [...three('co04/'), compact(rev(2)), fails(compact(rev(1)), 'Compacted')],
    },
    {
      name: 'compact a future revision',
      ref: '§2.7 §8.12',
      steps: [...three('co05/'), fails(compact(rev(4)), 'FutureRev'), fails(compact(rev(100_000)), 'FutureRev')],
    },
    {
      name: 'compact at the current revision',
      ref: '§2.7',
      steps: [...three('co06/'), ok(compact(rev(3))), ok(range('co06/a', { revision: rev(3) })), fails(range('co06/a', { revision: rev(2) }), 'Compacted')],
    },
    {
      name: 'physical compaction',
      ref: '§2.7',
      steps: [...three('co07/'), ok(compact(rev(3), { physical: true }), { header: { revision: 'B+3' } }), range('co07/a')],
    },
    {
      name: 'compaction does not change the revision',
      ref: '§2.7',
      steps: [...three('co08/'), compact(rev(3)), ok(put('co08/a', '4'), { header: { revision: 'B+4' } })],
    },
    {
      name: 'a key deleted before the compact revision is gone from it',
      ref: '§2.7',
      steps: [
        put('co09/a', '1'),
        put('co09/b', '1'),
        del('co09/a'),
        put('co09/c', '1'),
        compact(rev(3)),
        ok(range('co09/', { range_end: 'co090', revision: rev(3) }), { count: '1' }),
        range('co09/', { range_end: 'co090', revision: rev(4) }),
      ],
    },
    {
      name: 'a key deleted exactly at the compact revision',
      ref: '§2.7',
      steps: [put('co10/a', '1'), del('co10/a'), compact(rev(2)), ok(range('co10/a', { revision: rev(2) }), { count: '0' }), range('co10/', { range_end: 'co100', count_only: true })],
    },
    {
      name: 'history after the compact revision stays readable',
      ref: '§2.7',
      steps: [put('co11/a', '1'), put('co11/a', '2'), put('co11/a', '3'), put('co11/a', '4'), compact(rev(2)), range('co11/a', { revision: rev(3) }), range('co11/a', { revision: rev(2) })],
    },
    {
      name: 'versions survive compaction',
      ref: '§2.7',
      steps: [...three('co12/'), compact(rev(3)), ok(put('co12/a', '4', { prev_kv: true }), { prev_kv: { version: '3' } }), ok(range('co12/a'), { kvs: [{ version: '4', create_revision: 'B+1' }] })],
    },
    {
      name: 'txn range below the compact revision fails the txn',
      ref: '§2.6 §2.7',
      steps: [...three('co13/'), compact(rev(2)), fails(txn({ success: [op.put('co13/b', '1'), op.range('co13/a', { revision: rev(1) })] }), 'Compacted'), ok(range('co13/b'), { count: '0' })],
    },
    {
      name: 'txn range at the compact revision',
      ref: '§2.6 §2.7',
      steps: [...three('co14/'), compact(rev(2)), ok(txn({ success: [op.range('co14/a', { revision: rev(2) })] }))],
    },
    {
      name: 'compacted range in the txn branch not taken is ignored',
      ref: '§2.6 §2.7',
      steps: [...three('co15/'), compact(rev(2)), ok(txn({ compare: [cmp('VALUE', 'co15/a', 'EQUAL', '3')], success: [op.range('co15/a')], failure: [op.range('co15/a', { revision: rev(1) })] }))],
    },
    {
      name: 'serializable read below the compact revision',
      ref: '§2.3 §2.7',
      steps: [...three('co16/'), compact(rev(2)), fails(range('co16/a', { revision: rev(1), serializable: true }), 'Compacted')],
    },
    {
      name: 'revision filters below the compact revision are not reads at it',
      ref: '§2.3 §2.7',
      steps: [...three('co17/'), compact(rev(3)), range('co17/a', { min_mod_revision: rev(1) }), range('co17/a', { max_create_revision: rev(1) })],
    },
    {
      name: 'negative compact revision',
      ref: '§2.7',
      steps: [put('co18/a', '1'), fails(compact(-1), 'Compacted')],
    },
    {
      name: 'compacted is checked before an empty range',
      ref: '§2.3 §2.7',
      steps: [...three('co19/'), compact(rev(3)), fails(range('co19/b', { range_end: 'co19/a', revision: rev(1) }), 'Compacted')],
    },
  ],
};
