// Watch: what events look like and how they are grouped. start_revision
// replay (past, current, future), catch-up batches vs one revision per live
// response, txn and delete-range event order, prev_kv, filters, fragments
// (docs/ETCD-BEHAVIOUR.md §2.9, §8.13, §8.14, §8.15).
import { bytes, del, op, put, puts, rev, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';
import { collect, create, created, deleteEvent, events, putEvent, quiet, watch } from '../harness/watch-dsl.js';

const prefix = (p: string) => create(`${p}/`, { range_end: `${p}0` });
const prefixFrom = (p: string, start: number, req: Record<string, unknown> = {}) => create(`${p}/`, { range_end: `${p}0`, start_revision: rev(start), ...req });

export const watchEvents: ScenarioGroup = {
  area: 'Watch: history and events',
  scenarios: [
    {
      name: 'start_revision in the past: history in one response, then live',
      ref: '§2.9 §8.13',
      steps: [
        ...puts(['we01/a', '1'], ['we01/b', '2'], ['we01/a', '3']),
        watch(prefixFrom('we01', 1), 2, {
          expect: [created('0'), events('0', [putEvent('we01/a', '1'), putEvent('we01/b', '2'), putEvent('we01/a', '3')], { header: { revision: 'B+3' } })],
        }),
        put('we01/c', '4'),
        collect(1, { expect: [events('0', [putEvent('we01/c', '4')])] }),
      ],
    },
    {
      name: 'start_revision equal to the current revision replays it',
      ref: '§2.9',
      steps: [...puts(['we02/a', '1'], ['we02/a', '2']), watch(prefixFrom('we02', 2), 2, { expect: [created('0'), events('0', [putEvent('we02/a', '2')])] })],
    },
    {
      name: 'start_revision in the future: nothing until it arrives',
      ref: '§2.9 §8.15',
      steps: [
        put('we03/a', '1'),
        watch(prefixFrom('we03', 3), 1, { expect: [created('0', { header: { revision: 'B+1' } })] }),
        put('we03/a', '2'),
        quiet({ expect: [] }),
        put('we03/a', '3'),
        put('we03/a', '4'),
        collect(2, { expect: [events('0', [putEvent('we03/a', '3')]), events('0', [putEvent('we03/a', '4')])] }),
      ],
    },
    {
      name: 'live: one revision per response',
      ref: '§2.9',
      steps: [
        watch(prefix('we04'), 1),
        ...puts(['we04/a', '1'], ['we04/b', '2'], ['we04/c', '3']),
        collect(3, { expect: [events('0', [putEvent('we04/a')]), events('0', [putEvent('we04/b')]), events('0', [putEvent('we04/c')])] }),
      ],
    },
    {
      name: 'replay keeps only the watched keys',
      ref: '§2.9',
      steps: [
        ...puts(['we05/a', '1'], ['we05/b', '2'], ['we05/a', '3'], ['we05/c', '4']),
        watch(create('we05/a', { start_revision: rev(1) }), 2, { expect: [created('0'), events('0', [putEvent('we05/a', '1'), putEvent('we05/a', '3')], { header: { revision: 'B+4' } })] }),
      ],
    },
    {
      name: 'a txn: its events in op order, in one response',
      ref: '§2.6 §2.9 §8.14',
      steps: [
        ...puts(['we06/d', '0'], ['we06/a', '0']),
        watch(prefix('we06'), 1),
        txn({ success: [op.put('we06/c', '1'), op.del('we06/d'), op.put('we06/a', '2'), op.put('we06/b', '3')] }),
        collect(1, { expect: [events('0', [putEvent('we06/c'), deleteEvent('we06/d'), putEvent('we06/a'), putEvent('we06/b')], { header: { revision: 'B+3' } })] }),
      ],
    },
    {
      name: 'a nested txn: events in op order, depth first',
      ref: '§2.6 §2.9',
      steps: [
        watch(prefix('we23'), 1),
        txn({ success: [op.put('we23/d', '1'), op.txn({ success: [op.put('we23/b', '2'), op.put('we23/c', '3')] }), op.put('we23/a', '4')] }),
        collect(1, { expect: [events('0', [putEvent('we23/d'), putEvent('we23/b'), putEvent('we23/c'), putEvent('we23/a')])] }),
      ],
    },
    {
      name: 'a txn replayed from history: op order kept',
      ref: '§2.6 §2.9',
      steps: [
        put('we07/b', '0'),
        txn({ success: [op.put('we07/c', '1'), op.del('we07/b'), op.put('we07/a', '2')] }),
        put('we07/a', '3'),
        watch(prefixFrom('we07', 1), 2, { expect: [created('0'), events('0', [putEvent('we07/b'), putEvent('we07/c'), deleteEvent('we07/b'), putEvent('we07/a', '2'), putEvent('we07/a', '3')])] }),
      ],
    },
    {
      name: 'a delete-range: one DELETE per key, in key order',
      ref: '§2.5 §2.9',
      steps: [
        ...puts(['we08/c', '1'], ['we08/a', '2'], ['we08/b', '3']),
        watch(prefix('we08'), 1),
        del('we08/', { range_end: 'we080' }),
        collect(1, { expect: [events('0', [deleteEvent('we08/a'), deleteEvent('we08/b'), deleteEvent('we08/c')])] }),
      ],
    },
    {
      name: 'a put of the same value is an event, a delete of nothing is not',
      ref: '§2.1 §2.5 §2.9',
      steps: [
        put('we09/a', 'same'),
        watch(prefix('we09'), 1),
        put('we09/a', 'same'),
        del('we09/missing'),
        quiet({ expect: [events('0', [putEvent('we09/a', 'same', { version: '2' })])] }),
      ],
    },
    {
      name: 'prev_kv: none for a create, the old kv for an update and a delete',
      ref: '§2.9 §8.14',
      steps: [
        watch(create('we10/a', { prev_kv: true }), 1),
        put('we10/a', '1'),
        put('we10/a', '2'),
        del('we10/a'),
        put('we10/a', '3'),
        collect(4, {
          expect: [
            events('0', [{ type: 'PUT', kv: { value: '1' }, prev_kv: null }]),
            events('0', [{ type: 'PUT', kv: { value: '2' }, prev_kv: { key: 'we10/a', value: '1', version: '1', mod_revision: 'B+1' } }]),
            events('0', [{ type: 'DELETE', prev_kv: { value: '2', version: '2', mod_revision: 'B+2' } }]),
            events('0', [{ type: 'PUT', kv: { value: '3', version: '1' }, prev_kv: null }]),
          ],
        }),
      ],
    },
    {
      name: 'prev_kv in a history replay',
      ref: '§2.9',
      steps: [
        ...puts(['we11/a', '1'], ['we11/a', '2']),
        del('we11/a'),
        watch(create('we11/a', { prev_kv: true, start_revision: rev(1) }), 2, {
          expect: [created('0'), events('0', [{ prev_kv: null }, { prev_kv: { value: '1' } }, { type: 'DELETE', prev_kv: { value: '2' } }])],
        }),
      ],
    },
    {
      name: 'prev_kv on a delete-range and in a txn',
      ref: '§2.9',
      steps: [
        ...puts(['we12/a', '1'], ['we12/b', '2']),
        watch(create('we12/', { range_end: 'we120', prev_kv: true }), 1),
        txn({ success: [op.put('we12/a', '3'), op.put('we12/c', 'new')] }),
        del('we12/', { range_end: 'we120' }),
        collect(2, {
          expect: [
            events('0', [{ kv: { key: 'we12/a' }, prev_kv: { value: '1' } }, { kv: { key: 'we12/c' }, prev_kv: null }]),
            events('0', [{ type: 'DELETE', prev_kv: { value: '3' } }, { type: 'DELETE', prev_kv: { value: '2' } }, { type: 'DELETE', prev_kv: { value: 'new' } }]),
          ],
        }),
      ],
    },
    {
      name: 'NOPUT: only deletes; responses left empty are not sent',
      ref: '§2.9 §8.15',
      steps: [
        put('we13/a', '1'),
        watch(create('we13/', { range_end: 'we130', filters: ['NOPUT'] }), 1),
        put('we13/a', '2'),
        quiet({ expect: [] }),
        del('we13/a'),
        put('we13/b', '3'),
        collect(1, { expect: [events('0', [deleteEvent('we13/a')])] }),
      ],
    },
    {
      name: 'NODELETE: only puts',
      ref: '§2.9',
      steps: [
        put('we14/a', '1'),
        watch(create('we14/', { range_end: 'we140', filters: ['NODELETE'] }), 1),
        del('we14/a'),
        put('we14/b', '2'),
        quiet({ expect: [events('0', [putEvent('we14/b')])] }),
      ],
    },
    {
      name: 'both filters: nothing at all',
      ref: '§2.9',
      steps: [watch(create('we15/', { range_end: 'we150', filters: ['NOPUT', 'NODELETE'] }), 1), put('we15/a', '1'), del('we15/a'), quiet({ expect: [] })],
    },
    {
      name: 'a filter inside a txn keeps the other events',
      ref: '§2.9',
      steps: [
        put('we16/a', '1'),
        watch(create('we16/', { range_end: 'we160', filters: [0] }), 1),
        txn({ success: [op.put('we16/b', '2'), op.del('we16/a'), op.put('we16/c', '3')] }),
        collect(1, { expect: [events('0', [deleteEvent('we16/a')])] }),
      ],
    },
    {
      name: 'a filter applies to a history replay',
      ref: '§2.9',
      steps: [
        ...puts(['we17/a', '1'], ['we17/b', '2']),
        del('we17/a'),
        put('we17/a', '3'),
        watch(prefixFrom('we17', 1, { filters: ['NOPUT'] }), 2, { expect: [created('0'), events('0', [deleteEvent('we17/a')])] }),
      ],
    },
    {
      name: 'a replay in which every event is filtered sends nothing',
      ref: '§2.9',
      steps: [...puts(['we18/a', '1'], ['we18/b', '2']), watch(prefixFrom('we18', 1, { filters: ['NOPUT'] }), 1, { expect: [created('0')] }), quiet({ expect: [] })],
    },
    {
      name: 'fragment: a replay above the response limit is split between events',
      ref: '§2.9',
      steps: [
        put('we19/a', bytes(1_100_000, 'a')),
        put('we19/b', bytes(1_100_000, 'b')),
        watch(prefixFrom('we19', 1, { fragment: true }), 3, {
          timeoutMs: 5_000,
          expect: [created('0'), events('0', [putEvent('we19/a')], { fragment: true }), events('0', [putEvent('we19/b')], { fragment: false })],
        }),
        watch(prefixFrom('we19', 1), 2, { stream: 'whole', timeoutMs: 5_000, expect: [created('0'), events('0', [putEvent('we19/a'), putEvent('we19/b')], { fragment: false })] }),
      ],
    },
    {
      name: 'fragment: one revision split, counting prev_kv',
      ref: '§2.9',
      steps: [
        ...puts(['we20/a', 'x'], ['we20/b', 'y'], ['we20/c', 'z']),
        txn({ success: [op.put('we20/a', bytes(900_000, 'a'))] }),
        put('we20/b', bytes(900_000, 'b')),
        put('we20/c', bytes(900_000, 'c')),
        watch(create('we20/', { range_end: 'we200', prev_kv: true, fragment: true }), 1),
        del('we20/', { range_end: 'we200' }),
        collect(2, {
          timeoutMs: 3_000,
          expect: [events('0', [deleteEvent('we20/a'), deleteEvent('we20/b')], { fragment: true }), events('0', [deleteEvent('we20/c')], { fragment: false })],
        }),
      ],
    },
    {
      name: 'fragment: each fragment is filled up to the limit before the next starts',
      ref: '§2.9',
      steps: [
        ...['a', 'b', 'c', 'd', 'e'].map((k) => put(`we22/${k}`, bytes(450_000, k))),
        watch(create('we22/', { range_end: 'we220', prev_kv: true, fragment: true }), 1),
        del('we22/', { range_end: 'we220' }),
        collect(2, {
          timeoutMs: 3_000,
          expect: [
            events('0', ['a', 'b', 'c', 'd'].map((k) => deleteEvent(`we22/${k}`)), { fragment: true }),
            events('0', [deleteEvent('we22/e')], { fragment: false }),
          ],
        }),
      ],
    },
    {
      name: 'no fragment flag: a large revision in one response',
      ref: '§2.9',
      steps: [
        ...puts(['we21/a', 'x'], ['we21/b', 'y']),
        put('we21/a', bytes(1_200_000, 'a')),
        put('we21/b', bytes(1_200_000, 'b')),
        watch(create('we21/', { range_end: 'we210', prev_kv: true }), 1),
        del('we21/', { range_end: 'we210' }),
        collect(1, { timeoutMs: 5_000, expect: [events('0', [deleteEvent('we21/a'), deleteEvent('we21/b')], { fragment: false })] }),
      ],
    },
  ],
};
