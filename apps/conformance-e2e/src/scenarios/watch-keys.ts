// Watch: what a watch covers (key, prefix, from-key, everything), created
// and canceled responses, watch ids (client-chosen, automatic, per stream)
// and create errors (docs/ETCD-BEHAVIOUR.md §2.9, §8.14, §8.15).
import { del, put } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';
import { cancel, collect, create, created, deleteEvent, events, putEvent, quiet, watch } from '../harness/watch-dsl.js';

// Normalised header of control responses: every field, the revision relative.
const header = (revision: string) => ({ cluster_id: '<cluster>', member_id: '<member>', raft_term: '<term>', revision });
const failedCreate = (reason: string) => ({ watch_id: '-1', created: true, canceled: true, cancel_reason: reason });

export const watchKeys: ScenarioGroup = {
  area: 'Watch: keys, ids, create and cancel',
  scenarios: [
    {
      name: 'a key: created at the current revision, then its puts and delete',
      ref: '§2.9 §8.14',
      steps: [
        put('wk01/a', '0'),
        watch(create('wk01/a'), 1, { expect: [created('0', { header: header('B+1'), events: [] })] }),
        put('wk01/a', '1'),
        put('wk01/b', 'other key'),
        del('wk01/a'),
        collect(2, {
          expect: [
            events('0', [putEvent('wk01/a', '1', { create_revision: 'B+1', mod_revision: 'B+2', version: '2' })], { header: header('B+2') }),
            events('0', [deleteEvent('wk01/a', { kv: { key: 'wk01/a', mod_revision: 'B+4', create_revision: '0', version: '0', value: '' } })], { header: header('B+4') }),
          ],
        }),
      ],
    },
    {
      name: 'a prefix (range_end = prefix end)',
      ref: '§2.9',
      steps: [
        watch(create('wk02/', { range_end: 'wk020' }), 1),
        put('wk02/a', '1'),
        put('wk02', 'below the range'),
        put('wk020', 'the range end itself'),
        put('wk02/z', '2'),
        collect(2, { expect: [events('0', [putEvent('wk02/a', '1')]), events('0', [putEvent('wk02/z', '2')])] }),
      ],
    },
    {
      name: 'range_end "\\0": every key from the key on',
      ref: '§2.2 §2.9',
      steps: [
        watch(create('zz/wk03/b', { range_end: '\0' }), 1),
        put('zz/wk03/a', 'below'),
        put('zz/wk03/b', 'the key'),
        put('zz/wk03/c', 'above'),
        collect(2, { expect: [events('0', [putEvent('zz/wk03/b')]), events('0', [putEvent('zz/wk03/c')])] }),
      ],
    },
    {
      name: 'empty key with range_end "\\0": the whole key space',
      ref: '§2.9',
      steps: [
        watch(create('', { range_end: '\0' }), 1),
        put('wk04/a', '1'),
        put('wk04/b', '2'),
        del('wk04/a'),
        collect(3, { expect: [events('0', [putEvent('wk04/a')]), events('0', [putEvent('wk04/b')]), events('0', [deleteEvent('wk04/a')])] }),
      ],
    },
    {
      name: 'empty key without range_end watches the key "\\0" only',
      ref: '§2.9',
      steps: [watch(create(''), 1), put('wk05/a', '1'), put('\0', 'zero byte key'), collect(1, { expect: [events('0', [putEvent('\\x00', 'zero byte key')])] })],
    },
    {
      name: 'range_end below the key is refused',
      ref: '§2.9 §8.15',
      steps: [watch(create('wk06/x', { range_end: 'wk06/w' }), 1, { expect: [failedCreate('mvcc: watcher range is empty')] })],
    },
    {
      name: 'range_end equal to the key is refused, the stream lives on',
      ref: '§2.9',
      steps: [
        watch(create('wk07/a', { range_end: 'wk07/a' }), 1, { expect: [failedCreate('mvcc: watcher range is empty')] }),
        watch(create('wk07/a'), 1, { expect: [created('0')] }),
        put('wk07/a', '1'),
        collect(1, { expect: [events('0', [putEvent('wk07/a', '1')])] }),
      ],
    },
    {
      name: 'automatic ids count from 0 on each stream',
      ref: '§2.9 §8.15',
      steps: [
        watch([create('wk08/a'), create('wk08/b'), create('wk08/c')], 3, { expect: [created('0'), created('1'), created('2')] }),
        watch(create('wk08/a'), 1, { stream: 'second', expect: [created('0')] }),
        put('wk08/a', '1'),
        collect(1, { expect: [events('0', [putEvent('wk08/a')])] }),
        collect(1, { stream: 'second', expect: [events('0', [putEvent('wk08/a')])] }),
      ],
    },
    {
      name: 'a client-chosen id, then automatic ids from 0',
      ref: '§2.9 §8.15',
      steps: [
        watch([create('wk09/a', { watch_id: 7 }), create('wk09/b'), create('wk09/c')], 3, { expect: [created('7'), created('0'), created('1')] }),
        put('wk09/a', '1'),
        collect(1, { expect: [events('7', [putEvent('wk09/a')])] }),
      ],
    },
    {
      name: 'automatic ids skip ids in use',
      ref: '§2.9',
      steps: [watch([create('wk10/a', { watch_id: 1 }), create('wk10/b'), create('wk10/c'), create('wk10/d', { watch_id: 3 }), create('wk10/e')], 5, { expect: [created('1'), created('0'), created('2'), created('3'), created('4')] })],
    },
    {
      name: 'a negative client-chosen id',
      ref: '§2.9',
      steps: [watch(create('wk18/a', { watch_id: -2 }), 1), put('wk18/a', '1'), collect(1, { expect: [events('-2', [putEvent('wk18/a')])] })],
    },
    {
      name: 'a duplicate client-chosen id is refused',
      ref: '§2.9 §8.15',
      steps: [
        watch([create('wk11/a', { watch_id: 7 }), create('wk11/b', { watch_id: 7 })], 2, {
          expect: [created('7'), failedCreate('mvcc: duplicate watch ID provided on the WatchStream')],
        }),
        put('wk11/b', 'not watched'),
        put('wk11/a', 'watched'),
        collect(1, { expect: [events('7', [putEvent('wk11/a')])] }),
      ],
    },
    {
      name: 'automatic ids do not go back after a cancel',
      ref: '§2.9',
      steps: [watch([create('wk12/a'), cancel(0), create('wk12/b')], 3, { expect: [created('0'), { watch_id: '0', canceled: true }, created('1')] })],
    },
    {
      name: 'a canceled id can be chosen again',
      ref: '§2.9',
      steps: [
        watch([create('wk13/a', { watch_id: 5 }), cancel(5), create('wk13/b', { watch_id: 5 })], 3, { expect: [created('5'), { watch_id: '5', canceled: true }, created('5')] }),
        put('wk13/a', 'old watch'),
        put('wk13/b', 'new watch'),
        collect(1, { expect: [events('5', [putEvent('wk13/b')])] }),
      ],
    },
    {
      name: 'cancel: a response at the current revision, then no more events',
      ref: '§2.9 §8.15',
      steps: [
        watch(create('wk14/a'), 1),
        put('wk14/a', '1'),
        collect(1),
        watch(cancel(0), 1, { expect: [{ watch_id: '0', canceled: true, created: false, header: header('B+1'), events: [] }] }),
        put('wk14/a', '2'),
        quiet({ expect: [] }),
      ],
    },
    {
      name: 'cancel of an unknown id: no response',
      ref: '§2.9 §8.15',
      steps: [watch(create('wk15/a'), 1), watch(cancel(99), 0, { expect: [] }), put('wk15/a', '1'), collect(1, { expect: [events('0', [putEvent('wk15/a')])] })],
    },
    {
      name: 'two watches of one key on one stream: one response each',
      ref: '§2.9',
      steps: [
        watch([create('wk16/a'), create('wk16/', { range_end: 'wk160' })], 2),
        put('wk16/a', '1'),
        collect(2, { unordered: true, expect: [events('0', [putEvent('wk16/a')]), events('1', [putEvent('wk16/a')])] }),
      ],
    },
    {
      name: 'a key with bytes above 0x7f',
      ref: '§2.2 §2.9',
      steps: [
        watch(create('wk17/\xff', { range_end: 'wk17/\xff\xff' }), 1),
        put('wk17/\xfe', 'below'),
        put('wk17/\xff\x00', 'in'),
        put('wk17/\xff\xff', 'end'),
        collect(1, { expect: [events('0', [putEvent('wk17/\\xff\\x00', 'in')])] }),
        quiet({ expect: [] }),
      ],
    },
  ],
};
