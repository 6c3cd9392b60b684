// Watch: progress requests and progress notifications, and the negative
// start_revision. etcd 3.4.23 answers some of these the pre-3.5.8 way; eckd
// follows 3.5.13+/3.6, and each such step is a known difference
// (docs/ETCD-BEHAVIOUR.md §0, §2.9, §3, §8.15, §8.16).
import { put, rev } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';
import { cancel, collect, create, created, events, progress, putEvent, quiet, watch } from '../harness/watch-dsl.js';

const progressAt = (revision: string, watchId = '-1') => ({
  watch_id: watchId,
  created: false,
  canceled: false,
  compact_revision: '0',
  events: [],
  header: { revision },
});

export const watchProgressRequests: ScenarioGroup = {
  area: 'Watch: progress requests, negative start_revision',
  scenarios: [
    {
      name: 'progress request on a synced stream: watch_id -1 at the current revision',
      ref: '§2.9 §8.15',
      steps: [put('wr01/a', '1'), watch(create('wr01/a'), 1), watch(progress(), 1, { expect: [progressAt('B+1')] })],
    },
    {
      name: 'progress request after events: announced after them, at their revision',
      ref: '§2.9 §3',
      steps: [
        watch(create('wr02/', { range_end: 'wr020' }), 1),
        put('wr02/a', '1'),
        put('wr02/b', '2'),
        watch(progress(), 3, { expect: [events('0', [putEvent('wr02/a')]), events('0', [putEvent('wr02/b')]), progressAt('B+2')] }),
      ],
    },
    {
      name: 'progress request after a history replay has caught up',
      ref: '§2.9',
      steps: [
        put('wr03/a', '1'),
        put('wr03/a', '2'),
        watch(create('wr03/a', { start_revision: rev(1) }), 2),
        watch(progress(), 1, { expect: [progressAt('B+2')] }),
      ],
    },
    {
      name: 'progress request on a stream without watches',
      ref: '§0 §2.9',
      steps: [
        put('wr04/a', '1'),
        watch(progress(), 0, {
          stream: 'empty',
          differs: { ref: '§0: 3.4 answers a progress request on a stream with no watches; 3.5.8+/3.6 send nothing', etcd: [progressAt('B+1')], eckd: [] },
        }),
      ],
    },
    {
      name: 'progress request on a stream whose watches were canceled',
      ref: '§0 §2.9',
      steps: [
        put('wr05/a', '1'),
        watch([create('wr05/a'), cancel(0)], 2),
        watch(progress(), 0, {
          differs: { ref: '§0: 3.4 answers a progress request on a stream with no watches; 3.5.8+/3.6 send nothing', etcd: [progressAt('B+1')], eckd: [] },
        }),
      ],
    },
    {
      name: 'progress request while a watch waits for a future start_revision',
      ref: '§0 §2.9 §3',
      steps: [
        put('wr06/a', '1'),
        watch(create('wr06/a', { start_revision: rev(5) }), 1, { expect: [created('0')] }),
        watch(progress(), 0, {
          differs: { ref: '§0: 3.4 answers every progress request at once (#15220); 3.6 only when no watch of the stream is behind or ahead', etcd: [progressAt('B+1')], eckd: [] },
        }),
      ],
    },
    {
      name: 'negative start_revision',
      ref: '§0 §2.9 §8.15',
      steps: [
        put('wr07/a', '1'),
        watch(create('wr07/a', { start_revision: -1 }), 0, {
          differs: {
            ref: '§0: 3.4 on a store never compacted makes it a live watch; 3.6.14+ refuses it in one response',
            etcd: [created('0')],
            eckd: [{ watch_id: '-1', created: true, canceled: true, cancel_reason: 'etcdserver: mvcc: required revision has been compacted' }],
          },
        }),
        put('wr07/a', '2'),
        quiet({ differs: { ref: '§0: the watch 3.4 kept is live', etcd: [events('0', [putEvent('wr07/a', '2')])], eckd: [] } }),
      ],
    },
  ],
};

// Runs against servers started with a 1 s progress-notify interval.
export const watchProgressNotify: ScenarioGroup = {
  area: 'Watch: progress notifications (1 s interval)',
  scenarios: [
    {
      name: 'progress_notify: an idle watch is told the current revision',
      ref: '§2.9 §8.16',
      steps: [put('wn01/a', '1'), watch(create('wn01/a', { progress_notify: true, watch_id: 5 }), 2, { timeoutMs: 3_500, expect: [created('5'), progressAt('B+1', '5')] })],
    },
    {
      name: 'without progress_notify: no notification',
      ref: '§2.9',
      steps: [put('wn02/a', '1'), watch(create('wn02/a'), 1), quiet({ quietMs: 1_600, expect: [] })],
    },
    {
      name: 'only the watch that asked is notified',
      ref: '§2.9',
      steps: [
        put('wn03/a', '1'),
        watch([create('wn03/a'), create('wn03/b', { progress_notify: true })], 2),
        collect(1, { timeoutMs: 3_500, expect: [progressAt('B+1', '1')] }),
      ],
    },
    {
      name: 'a notification after events carries the latest revision',
      ref: '§2.9 §3',
      steps: [
        watch(create('wn04/', { range_end: 'wn040', progress_notify: true }), 1),
        put('wn04/a', '1'),
        put('wn04/b', '2'),
        // A notification may come before the events when a put takes longer than the interval (a loaded machine), on either server.
        collect(2, { skipProgress: true }),
        collect(1, { timeoutMs: 3_500, expect: [progressAt('B+2', '0')] }),
      ],
    },
    {
      name: 'progress_notify on a watch waiting for a future start_revision',
      ref: '§2.9 §3',
      steps: [
        put('wn05/a', '1'),
        watch(create('wn05/a', { progress_notify: true, start_revision: rev(5) }), 1),
        quiet({
          quietMs: 1_600,
          timeoutMs: 1_600,
          differs: { ref: '§3: a notification below start_revision announces revisions the watch never covers (#20221); 3.4 sends it', etcd: [progressAt('B+1', '0')], eckd: [] },
        }),
      ],
    },
  ],
};
