// Edge values of Watch (docs/ROBUSTNESS.md, Catalogue): start revisions
// 0, 1, current + 1 and 2^63 - 1; watch ids -1, 0 and 2^63 - 1; cancels of
// ids that name no watch. Duplicate ids are in watch-keys.ts, a negative
// start_revision in watch-progress.ts and watch-compact.ts.
import { put } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';
import { cancel, create, created, events, putEvent, quiet, watch } from '../harness/watch-dsl.js';

const int64Max = '9223372036854775807';

export const edgeWatch: ScenarioGroup = {
  area: 'Edge values: watch',
  scenarios: [
    {
      name: 'start_revision 0 watches from the next revision',
      ref: '§2.9',
      steps: [
        put('ew01/a', '0'),
        watch(create('ew01/a', { start_revision: 0 }), 1, { expect: [created('0')] }),
        put('ew01/a', '1'),
        watch([], 1, { expect: [events('0', [putEvent('ew01/a', '1')])] }),
      ],
    },
    {
      name: 'start_revision 1 replays the key from the start',
      ref: '§2.9',
      steps: [put('ew02/a', '0'), watch(create('ew02/a', { start_revision: 1 }), 2, { expect: [created('0'), events('0', [putEvent('ew02/a', '0')])] })],
    },
    {
      name: 'start_revision current + 1 waits for that revision',
      ref: '§2.9',
      steps: [
        put('ew03/a', '0'),
        watch(create('ew03/a', { start_revision: { $rev: 3 } }), 1, { expect: [created('0')] }),
        put('ew03/a', '1'),
        put('ew03/a', '2'),
        watch([], 1, { expect: [events('0', [putEvent('ew03/a', '2')])] }),
      ],
    },
    {
      name: 'start_revision 2^63 - 1: created, never an event',
      ref: '§2.9',
      steps: [watch(create('ew04/a', { start_revision: int64Max }), 1, { expect: [created('0')] }), put('ew04/a', '1'), quiet({ expect: [] })],
    },
    {
      name: 'watch ids -1 and 2^63 - 1 chosen by the client',
      ref: '§2.9 §8.15',
      steps: [
        watch([create('ew05/a', { watch_id: -1 }), create('ew05/b', { watch_id: int64Max })], 2),
        put('ew05/a', '1'),
        put('ew05/b', '2'),
        watch([], 2),
        watch({ cancel_request: { watch_id: int64Max } }, 1),
      ],
    },
    {
      name: 'watch id 0 chosen by the client is an automatic id',
      ref: '§2.9',
      steps: [watch([create('ew06/a', { watch_id: 0 }), create('ew06/b', { watch_id: 0 })], 2, { expect: [created('0'), created('1')] })],
    },
    {
      name: 'cancel of ids that name no watch: -1, 0, 5 and 2^63 - 1',
      ref: '§2.9',
      steps: [
        watch([cancel(-1), cancel(0), cancel(5), { cancel_request: { watch_id: int64Max } }], 0),
        watch(create('ew07/a'), 1, { expect: [created('0')] }),
        put('ew07/a', '1'),
        watch([], 1, { expect: [events('0', [putEvent('ew07/a', '1')])] }),
      ],
    },
    {
      name: 'cancel twice',
      ref: '§2.9',
      steps: [watch(create('ew08/a'), 1), watch(cancel(0), 1), watch(cancel(0), 0), put('ew08/a', '1'), quiet({ expect: [] })],
    },
  ],
};
