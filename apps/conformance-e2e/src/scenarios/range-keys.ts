// Range: which keys a [key, range_end) selects (docs/ETCD-BEHAVIOUR.md §2.2, §2.3).
import { fails, ok, put, puts, range } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

export const rangeKeys: ScenarioGroup = {
  area: 'Range: keys and range_end',
  scenarios: [
    {
      name: 'single existing key',
      ref: '§2.3',
      steps: [put('rk01/a', '1'), put('rk01/ab', '2'), ok(range('rk01/a'), { count: '1' })],
    },
    {
      name: 'single missing key',
      ref: '§2.3',
      steps: [put('rk02/a', '1'), ok(range('rk02/b'), { kvs: [], count: '0', more: false })],
    },
    {
      name: 'half-open interval [key, range_end)',
      ref: '§2.2',
      steps: [...puts(['rk03/a', '1'], ['rk03/b', '2'], ['rk03/c', '3']), ok(range('rk03/a', { range_end: 'rk03/c' }), { count: '2' })],
    },
    {
      name: 'prefix range (last byte + 1)',
      ref: '§2.2',
      steps: [
        ...puts(['rk04', 'outside'], ['rk04/x', '1'], ['rk04/y/z', '2'], ['rk040', 'outside'], ['rk04a', 'outside']),
        ok(range('rk04/', { range_end: 'rk040' }), { count: '2' }),
      ],
    },
    {
      name: 'range_end "\\0" selects every key >= key',
      ref: '§2.2',
      // The "zz" prefix sorts after every other scenario's keys that are
      // ASCII; both servers hold the same keys anyway.
      steps: [...puts(['zz/rk06/a', '1'], ['zz/rk06/b', '2']), ok(range('zz/rk06/a', { range_end: '\0', keys_only: true }))],
    },
    {
      name: 'key "\\0" with range_end "\\0" counts every key',
      ref: '§2.2',
      steps: [put('rk07/a', '1'), range('\0', { range_end: '\0', count_only: true })],
    },
    {
      name: 'range_end equal to key is an empty range',
      ref: '§2.2 §8.23',
      steps: [put('rk08/a', '1'), ok(range('rk08/a', { range_end: 'rk08/a' }), { kvs: [], count: '0' })],
    },
    {
      name: 'range_end below key is an empty range',
      ref: '§2.2 §8.23',
      steps: [...puts(['rk09/a', '1'], ['rk09/b', '2']), ok(range('rk09/b', { range_end: 'rk09/a' }), { kvs: [], count: '0' })],
    },
    {
      name: 'keys compare as unsigned bytes',
      ref: '§2.2',
      steps: [
        ...puts(['rk10/\xff', 'ff'], ['rk10/a', 'a'], ['rk10/\x80', '80'], ['rk10/Z', 'Z'], ['rk10/\x00', '00']),
        range('rk10/', { range_end: 'rk100', keys_only: true }),
      ],
    },
    {
      name: 'prefix end of a key ending in 0xff',
      ref: '§2.2',
      // clientv3 turns prefix "rk11/a\xff" into range_end "rk11/b".
      steps: [
        ...puts(['rk11/a', 'no'], ['rk11/a\xff', '1'], ['rk11/a\xff\x01', '2'], ['rk11/a\xff\xff', '3'], ['rk11/b', 'no']),
        ok(range('rk11/a\xff', { range_end: 'rk11/b' }), { count: '3' }),
      ],
    },
    {
      name: 'binary key with zero bytes',
      ref: '§2.2',
      steps: [put('rk12/\x00\x01\x00', 'bin'), put('rk12/\x00\x01', 'short'), range('rk12/\x00', { range_end: 'rk12/\x01' })],
    },
    {
      name: 'empty key is rejected',
      ref: '§1.5 §2.2',
      steps: [fails(range(''), 'EmptyKey'), fails(range('', { range_end: 'rk13' }), 'EmptyKey')],
    },
    {
      name: 'empty key with only count_only is still rejected',
      ref: '§1.5',
      steps: [fails(range('', { count_only: true }), 'EmptyKey')],
    },
  ],
};
