// Range sorting: every sort_order x sort_target pair, the NONE+target quirk
// with limit, and the 3.6 rejection of unknown sort enums (docs/ETCD-BEHAVIOUR.md §2.3, §0).
import { put, puts, range, rev } from '../harness/dsl.js';
import type { Scenario, ScenarioGroup, Step, TieField } from '../harness/scenario.js';

// Five keys whose value, create, mod and version orders all differ from the
// key order. Versions tie (b=c=1, d=e=2); the others are distinct.
//   key    a   b   c   d   e
//   value  v5  v4  v3  v2  v1
//   create +2  +4  +1  +5  +3
//   mod    +8  +4  +1  +9  +7
//   ver    3   1   1   2   2
const dataset = (p: string): Step[] =>
  puts(
    [`${p}c`, 'v3'],
    [`${p}a`, 'v5'],
    [`${p}e`, 'v1'],
    [`${p}b`, 'v4'],
    [`${p}d`, 'v2'],
    [`${p}a`, 'v5'],
    [`${p}e`, 'v1'],
    [`${p}a`, 'v5'],
    [`${p}d`, 'v2'],
  );

const targets = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
const orders = ['NONE', 'ASCEND', 'DESCEND'] as const;
const tieField: Record<(typeof targets)[number], TieField | undefined> = {
  KEY: undefined,
  VERSION: 'version',
  CREATE: 'create_revision',
  MOD: 'mod_revision',
  VALUE: 'value',
};

function sortScenario(target: (typeof targets)[number], order: (typeof orders)[number], n: number): Scenario {
  const p = `rs${String(n).padStart(2, '0')}/`;
  const ties = tieField[target];
  return {
    name: `sort_target ${target}, sort_order ${order}`,
    ref: '§2.3',
    steps: [...dataset(p), range(p, { range_end: `${p.slice(0, -1)}0`, sort_target: target, sort_order: order }, ties ? { ties } : {})],
  };
}

const allPairs: Scenario[] = targets.flatMap((t, i) => orders.map((o, j) => sortScenario(t, o, i * orders.length + j + 1)));

export const rangeSort: ScenarioGroup = {
  area: 'Range: sorting',
  scenarios: [
    ...allPairs,
    {
      name: 'NONE + VALUE with limit sorts only the first limit+1 keys by key',
      ref: '§2.3',
      steps: [...dataset('rs20/'), range('rs20/', { range_end: 'rs200', sort_target: 'VALUE', sort_order: 'NONE', limit: 2 })],
    },
    {
      name: 'NONE + CREATE with limit',
      ref: '§2.3',
      steps: [...dataset('rs21/'), range('rs21/', { range_end: 'rs210', sort_target: 'CREATE', limit: 3 })],
    },
    {
      name: 'ASCEND + VALUE with limit reads everything, then truncates',
      ref: '§2.3',
      steps: [...dataset('rs22/'), range('rs22/', { range_end: 'rs220', sort_target: 'VALUE', sort_order: 'ASCEND', limit: 2 })],
    },
    {
      name: 'DESCEND + KEY with limit',
      ref: '§2.3',
      steps: [...dataset('rs23/'), range('rs23/', { range_end: 'rs230', sort_order: 'DESCEND', limit: 2 })],
    },
    {
      name: 'DESCEND + MOD with limit and a revision filter',
      ref: '§2.3',
      steps: [...dataset('rs24/'), range('rs24/', { range_end: 'rs240', sort_target: 'MOD', sort_order: 'DESCEND', limit: 2, min_create_revision: rev(2) })],
    },
    {
      name: 'sort with keys_only and count_only',
      ref: '§2.3',
      steps: [
        ...dataset('rs25/'),
        range('rs25/', { range_end: 'rs250', sort_target: 'CREATE', sort_order: 'DESCEND', keys_only: true }),
        range('rs25/', { range_end: 'rs250', sort_target: 'CREATE', sort_order: 'DESCEND', count_only: true }),
      ],
    },
    {
      name: 'sort by VALUE with keys_only sorts before dropping values',
      ref: '§2.3',
      steps: [...dataset('rs28/'), range('rs28/', { range_end: 'rs280', sort_target: 'VALUE', sort_order: 'DESCEND', keys_only: true })],
    },
    {
      name: 'sort with count_only and limit',
      ref: '§2.3',
      steps: [...dataset('rs29/'), range('rs29/', { range_end: 'rs290', sort_target: 'MOD', sort_order: 'ASCEND', count_only: true, limit: 2 })],
    },
    {
      name: 'sort by VERSION with limit: ties only inside the page',
      ref: '§2.3',
      // Versions descending are 3,2,2 | 1,1: a page of 3 ends at a tie
      // boundary, so which keys it holds is deterministic.
      steps: [...dataset('rs30/'), range('rs30/', { range_end: 'rs300', sort_target: 'VERSION', sort_order: 'DESCEND', limit: 3 }, { ties: 'version' })],
    },
    {
      name: 'sort at a past revision',
      ref: '§2.3',
      steps: [...dataset('rs26/'), range('rs26/', { range_end: 'rs260', sort_target: 'MOD', sort_order: 'DESCEND', revision: rev(5) })],
    },
    {
      name: 'unknown sort_order: 3.4 answers in key order, 3.6 rejects it',
      ref: '§0',
      steps: [
        put('rs27/b', '1'),
        put('rs27/a', '2'),
        range('rs27/', { range_end: 'rs270', sort_order: 7 }, {
          differs: {
            ref: '§0 invalid sort_order/sort_target enum',
            etcd: { ok: { count: '2', kvs: [{ key: 'rs27/a' }, { key: 'rs27/b' }] } },
            eckd: { error: 'InvalidSortOption' },
          },
        }),
      ],
    },
  ],
};
