// Range: limit, more, count, count_only, keys_only, the min/max revision
// filters and serializable reads (docs/ETCD-BEHAVIOUR.md §2.3, §8.4).
import { del, op, ok, put, puts, range, rev, txn } from '../harness/dsl.js';
import type { ScenarioGroup, Step } from '../harness/scenario.js';

// Four keys, created at base+1..base+4 in key order; b is updated at +5.
const four = (p: string): Step[] => [...puts([`${p}a`, '1'], [`${p}b`, '2'], [`${p}c`, '3'], [`${p}d`, '4']), put(`${p}b`, '22')];
const end = (p: string) => `${p.slice(0, -1)}0`;

// 300 keys k000..k299 in three txns (revisions +1, +2, +3): enough to span
// many nodes of a tree-shaped index.
const bulk = (p: string): Step[] =>
  [0, 100, 200].map((from) => txn({ success: Array.from({ length: 100 }, (_, i) => op.put(`${p}k${String(from + i).padStart(3, '0')}`, `v${from + i}`)) }));

export const rangeLimits: ScenarioGroup = {
  area: 'Range: limit, count, filters',
  scenarios: [
    {
      name: 'limit below the match count sets more, count is the full count',
      ref: '§2.3 §8.4',
      steps: [...four('rl01/'), ok(range('rl01/', { range_end: end('rl01/'), limit: 2 }), { more: true, count: '4' })],
    },
    {
      name: 'limit equal to the match count: more is false',
      ref: '§2.3',
      steps: [...four('rl02/'), ok(range('rl02/', { range_end: end('rl02/'), limit: 4 }), { more: false, count: '4' })],
    },
    {
      name: 'limit above the match count',
      ref: '§2.3',
      steps: [...four('rl03/'), ok(range('rl03/', { range_end: end('rl03/'), limit: 10 }), { more: false })],
    },
    {
      name: 'negative limit means no limit',
      ref: '§2.3 §8.23',
      steps: [...four('rl04/'), ok(range('rl04/', { range_end: end('rl04/'), limit: -1 }), { more: false, count: '4' })],
    },
    {
      name: 'limit 1 on a single key',
      ref: '§2.3 §4',
      steps: [put('rl05/a', '1'), ok(range('rl05/a', { limit: 1 }), { more: false, count: '1' })],
    },
    {
      name: 'pagination with key = last key + "\\0": count shrinks',
      ref: '§2.3 §4',
      steps: [
        ...four('rl06/'),
        ok(range('rl06/', { range_end: end('rl06/'), limit: 2 }), { count: '4', more: true }),
        ok(range('rl06/b\0', { range_end: end('rl06/'), limit: 2 }), { count: '2', more: false }),
      ],
    },
    {
      name: 'count_only returns no kvs',
      ref: '§2.3 §8.4',
      steps: [...four('rl07/'), ok(range('rl07/', { range_end: end('rl07/'), count_only: true }), { kvs: [], count: '4' })],
    },
    {
      name: 'count_only with a limit',
      ref: '§2.3',
      steps: [...four('rl08/'), range('rl08/', { range_end: end('rl08/'), count_only: true, limit: 1 })],
    },
    {
      name: 'keys_only drops values and keeps the other fields',
      ref: '§2.3',
      steps: [...four('rl09/'), range('rl09/', { range_end: end('rl09/'), keys_only: true })],
    },
    {
      name: 'keys_only with limit',
      ref: '§2.3',
      steps: [...four('rl10/'), ok(range('rl10/', { range_end: end('rl10/'), keys_only: true, limit: 3 }), { more: true })],
    },
    {
      name: 'keys_only and count_only together',
      ref: '§2.3',
      steps: [...four('rl11/'), range('rl11/', { range_end: end('rl11/'), keys_only: true, count_only: true })],
    },
    {
      name: 'min_mod_revision (inclusive)',
      ref: '§2.3',
      steps: [...four('rl12/'), ok(range('rl12/', { range_end: end('rl12/'), min_mod_revision: rev(4) }), { count: '4' })],
    },
    {
      name: 'max_mod_revision (inclusive)',
      ref: '§2.3',
      steps: [...four('rl13/'), range('rl13/', { range_end: end('rl13/'), max_mod_revision: rev(3) })],
    },
    {
      name: 'min_create_revision (inclusive)',
      ref: '§2.3',
      steps: [...four('rl14/'), range('rl14/', { range_end: end('rl14/'), min_create_revision: rev(2) })],
    },
    {
      name: 'max_create_revision: count ignores the filter',
      ref: '§2.3',
      steps: [...four('rl15/'), ok(range('rl15/', { range_end: end('rl15/'), max_create_revision: rev(1) }), { count: '4' })],
    },
    {
      name: 'min and max mod_revision window',
      ref: '§2.3',
      steps: [...four('rl16/'), range('rl16/', { range_end: end('rl16/'), min_mod_revision: rev(2), max_mod_revision: rev(4) })],
    },
    {
      name: 'filters with limit: more after filtering',
      ref: '§2.3',
      steps: [
        ...four('rl17/'),
        range('rl17/', { range_end: end('rl17/'), min_create_revision: rev(2), limit: 1 }),
        range('rl17/', { range_end: end('rl17/'), min_create_revision: rev(4), limit: 1 }),
      ],
    },
    {
      name: 'filter matching nothing',
      ref: '§2.3',
      steps: [...four('rl18/'), ok(range('rl18/', { range_end: end('rl18/'), min_mod_revision: rev(50) }), { kvs: [], count: '4' })],
    },
    {
      name: 'filters with count_only',
      ref: '§2.3',
      steps: [...four('rl19/'), range('rl19/', { range_end: end('rl19/'), max_create_revision: rev(2), count_only: true })],
    },
    {
      name: 'serializable read sees the latest write',
      ref: '§2.3',
      steps: [...four('rl20/'), ok(range('rl20/b', { serializable: true }), { count: '1' })],
    },
    {
      name: 'serializable read of history with limit',
      ref: '§2.3',
      steps: [...four('rl21/'), range('rl21/', { range_end: end('rl21/'), serializable: true, revision: rev(3), limit: 1 })],
    },
    {
      name: 'count after churn, now and at past revisions',
      ref: '§2.3',
      steps: [
        ...four('rl22/'),
        del('rl22/b'),
        put('rl22/b', 'again'),
        del('rl22/a', { range_end: 'rl22/c' }),
        put('rl22/e', '5'),
        ...[0, 2, 5, 6, 7, 8, 9].map((n) => range('rl22/', { range_end: end('rl22/'), count_only: true, ...(n ? { revision: rev(n) } : {}) })),
      ],
    },
    {
      name: '300 keys: count and a page of 250',
      ref: '§2.3',
      steps: [...bulk('rl23/'), ok(range('rl23/', { range_end: end('rl23/'), limit: 250, keys_only: true }), { count: '300', more: true })],
    },
    {
      name: '300 keys: a deleted middle range, counted now and before',
      ref: '§2.3 §2.5',
      steps: [
        ...bulk('rl24/'),
        ok(del('rl24/k050', { range_end: 'rl24/k250' }), { deleted: '200' }),
        ok(range('rl24/', { range_end: end('rl24/'), count_only: true }), { count: '100' }),
        ok(range('rl24/', { range_end: end('rl24/'), count_only: true, revision: rev(3) }), { count: '300' }),
        range('rl24/k040', { range_end: 'rl24/k260', limit: 15, keys_only: true }),
      ],
    },
    {
      name: '300 keys: DESCEND page and a mod_revision filter',
      ref: '§2.3',
      steps: [
        ...bulk('rl25/'),
        range('rl25/', { range_end: end('rl25/'), sort_order: 'DESCEND', limit: 5, keys_only: true }),
        ok(range('rl25/', { range_end: end('rl25/'), min_mod_revision: rev(3), limit: 3, keys_only: true }), { more: true, count: '300' }),
      ],
    },
  ],
};
