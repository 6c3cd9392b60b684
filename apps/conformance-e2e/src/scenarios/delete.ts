// DeleteRange: deleted counts, prev_kvs, one revision per request and none
// when nothing was deleted (docs/ETCD-BEHAVIOUR.md §2.5, §8.3).
import { del, fails, ok, put, puts, range, rev } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

export const deleteScenarios: ScenarioGroup = {
  area: 'DeleteRange',
  scenarios: [
    {
      name: 'delete one key',
      ref: '§2.5',
      steps: [put('de01/a', '1'), ok(del('de01/a'), { deleted: '1', header: { revision: 'B+2' } }), ok(range('de01/a'), { count: '0' })],
    },
    {
      name: 'delete of a missing key: no revision, deleted 0',
      ref: '§2.5 §8.3',
      steps: [put('de02/x', '1'), ok(del('de02/a'), { deleted: '0', header: { revision: 'B+1' } })],
    },
    {
      name: 'delete a range: one revision for all keys',
      ref: '§2.5',
      steps: [
        ...puts(['de03/a', '1'], ['de03/b', '2'], ['de03/c', '3'], ['de03/d', '4']),
        ok(del('de03/a', { range_end: 'de03/d' }), { deleted: '3', header: { revision: 'B+5' } }),
        range('de03/', { range_end: 'de030' }),
      ],
    },
    {
      name: 'delete a prefix with prev_kv: prev_kvs in key order',
      ref: '§2.5',
      steps: [...puts(['de04/c', '3'], ['de04/a', '1'], ['de04/b', '2']), put('de04/a', '11'), ok(del('de04/', { range_end: 'de040', prev_kv: true }), { deleted: '3' })],
    },
    {
      name: 'prev_kv when nothing is deleted',
      ref: '§2.5',
      steps: [put('de05/x', '1'), ok(del('de05/a', { prev_kv: true }), { prev_kvs: [] })],
    },
    {
      name: 'range_end "\\0" deletes every key >= key',
      ref: '§2.2 §2.5',
      // "zz/~" sorts after every other key this suite writes.
      steps: [...puts(['zz/~de06/a', '1'], ['zz/~de06/b', '2']), ok(del('zz/~de06/', { range_end: '\0', prev_kv: true }), { deleted: '2' })],
    },
    {
      name: 'range_end below key deletes nothing and keeps the revision',
      ref: '§2.5 §8.23',
      steps: [...puts(['de07/a', '1'], ['de07/b', '2']), ok(del('de07/b', { range_end: 'de07/a' }), { deleted: '0', header: { revision: 'B+2' } })],
    },
    {
      name: 'range_end equal to key deletes nothing',
      ref: '§2.5',
      steps: [put('de08/a', '1'), ok(del('de08/a', { range_end: 'de08/a' }), { deleted: '0' })],
    },
    {
      name: 'delete twice: the second is a no-op',
      ref: '§2.5',
      steps: [put('de09/a', '1'), del('de09/a'), ok(del('de09/a'), { deleted: '0', header: { revision: 'B+2' } })],
    },
    {
      name: 'empty key',
      ref: '§1.5',
      steps: [fails(del(''), 'EmptyKey'), fails(del('', { range_end: 'de10' }), 'EmptyKey')],
    },
    {
      name: 'deleted keys stay readable in history',
      ref: '§2.5 §2.3',
      steps: [...puts(['de11/a', '1'], ['de11/b', '2']), del('de11/', { range_end: 'de110' }), ok(range('de11/', { range_end: 'de110', revision: rev(2) }), { count: '2' })],
    },
    {
      name: 'delete only the live keys of a range with deleted ones',
      ref: '§2.5',
      steps: [...puts(['de12/a', '1'], ['de12/b', '2'], ['de12/c', '3']), del('de12/b'), ok(del('de12/', { range_end: 'de120', prev_kv: true }), { deleted: '2' })],
    },
  ],
};
