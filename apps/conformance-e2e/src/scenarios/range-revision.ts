// Range at a revision: history reads, the current and future revisions,
// and the header that always carries the current revision (docs/ETCD-BEHAVIOUR.md §2.3, §1.4).
import { del, fails, ok, put, range, rev } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

export const rangeRevision: ScenarioGroup = {
  area: 'Range: revision reads',
  scenarios: [
    {
      name: 'read an older value at its revision',
      ref: '§2.3',
      steps: [put('rv01/a', 'old'), put('rv01/a', 'new'), ok(range('rv01/a', { revision: rev(1) }), { kvs: [{ value: 'old', version: '1' }] })],
    },
    {
      name: 'header revision is the current revision for a history read',
      ref: '§1.4 §2.3',
      steps: [put('rv02/a', '1'), put('rv02/a', '2'), put('rv02/b', '3'), ok(range('rv02/a', { revision: rev(1) }), { header: { revision: 'B+3' } })],
    },
    {
      name: 'read before the key existed',
      ref: '§2.3',
      steps: [put('rv03/x', '1'), put('rv03/a', '1'), ok(range('rv03/a', { revision: rev(1) }), { kvs: [], count: '0' })],
    },
    {
      name: 'read a deleted key before its deletion',
      ref: '§2.3',
      steps: [put('rv04/a', '1'), del('rv04/a'), ok(range('rv04/a'), { count: '0' }), ok(range('rv04/a', { revision: rev(1) }), { count: '1' })],
    },
    {
      name: 'read at the deletion revision',
      ref: '§2.3',
      steps: [put('rv05/a', '1'), del('rv05/a'), ok(range('rv05/a', { revision: rev(2) }), { kvs: [] })],
    },
    {
      name: 'history of a recreated key',
      ref: '§2.2 §8.2',
      steps: [
        put('rv06/a', '1'),
        put('rv06/a', '2'),
        del('rv06/a'),
        put('rv06/a', '3'),
        range('rv06/a', { revision: rev(2) }),
        range('rv06/a', { revision: rev(3) }),
        ok(range('rv06/a'), { kvs: [{ version: '1', create_revision: 'B+4' }] }),
      ],
    },
    {
      name: 'range over a prefix at a past revision, with count',
      ref: '§2.3',
      steps: [put('rv07/a', '1'), put('rv07/b', '2'), put('rv07/c', '3'), del('rv07/a'), ok(range('rv07/', { range_end: 'rv070', revision: rev(2) }), { count: '2' })],
    },
    {
      name: 'limit and more at a past revision',
      ref: '§2.3',
      steps: [
        put('rv08/a', '1'),
        put('rv08/b', '2'),
        put('rv08/c', '3'),
        del('rv08/', { range_end: 'rv080' }),
        ok(range('rv08/', { range_end: 'rv080', revision: rev(3), limit: 2 }), { more: true, count: '3' }),
      ],
    },
    {
      name: 'revision equal to the current revision',
      ref: '§2.3',
      steps: [put('rv09/a', '1'), ok(range('rv09/a', { revision: rev(1) }), { count: '1' })],
    },
    {
      name: 'revision one above the current revision is a future revision',
      ref: '§2.3 §8.5',
      steps: [put('rv10/a', '1'), fails(range('rv10/a', { revision: rev(2) }), 'FutureRev')],
    },
    {
      name: 'far future revision',
      ref: '§2.3 §8.5',
      steps: [fails(range('rv11/a', { revision: rev(1_000_000) }), 'FutureRev')],
    },
    {
      name: 'negative revision reads the latest',
      ref: '§2.3',
      steps: [put('rv12/a', '1'), put('rv12/a', '2'), ok(range('rv12/a', { revision: -5 }), { kvs: [{ value: '2' }] })],
    },
    {
      name: 'future revision is checked before an empty range',
      ref: '§2.3',
      steps: [fails(range('rv13/b', { range_end: 'rv13/a', revision: rev(10) }), 'FutureRev')],
    },
    {
      name: 'serializable read at a future revision',
      ref: '§2.3',
      steps: [fails(range('rv14/a', { serializable: true, revision: rev(10) }), 'FutureRev')],
    },
    {
      name: 'revision filters at a past revision',
      ref: '§2.3',
      steps: [put('rv15/a', '1'), put('rv15/b', '2'), put('rv15/a', '3'), range('rv15/', { range_end: 'rv150', revision: rev(2), min_mod_revision: rev(2) })],
    },
    {
      name: 'count_only and keys_only at a past revision',
      ref: '§2.3',
      steps: [
        put('rv16/a', '1'),
        put('rv16/b', '2'),
        del('rv16/a'),
        range('rv16/', { range_end: 'rv160', revision: rev(2), count_only: true }),
        range('rv16/', { range_end: 'rv160', revision: rev(2), keys_only: true }),
      ],
    },
    {
      name: 'range_end "\\0" at a past revision',
      ref: '§2.2 §2.3',
      steps: [put('zz/rv17/a', '1'), put('zz/rv17/b', '2'), range('zz/rv17/', { range_end: '\0', revision: rev(1), keys_only: true })],
    },
  ],
};
