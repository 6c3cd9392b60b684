// Watch and compaction: a start_revision below the compact revision is
// created then canceled with compact_revision; at the compact revision it
// replays; live watches are not disturbed (docs/ETCD-BEHAVIOUR.md §2.7, §2.9, §3, §8.13).
// These run in table order on servers of their own, each scenario compacting
// above every earlier one.
import { compact, del, put, puts, rev } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';
import { collect, create, created, deleteEvent, events, putEvent, quiet, watch } from '../harness/watch-dsl.js';

// etcd's compaction cancel: the header keeps the ids but has no revision.
const compactedCancel = (watchId: string, compactRevision: string) => ({
  watch_id: watchId,
  created: false,
  canceled: true,
  compact_revision: compactRevision,
  cancel_reason: '',
  events: [],
});

export const watchCompact: ScenarioGroup = {
  area: 'Watch: compaction',
  scenarios: [
    {
      name: 'start_revision below the compact revision: created, then canceled',
      ref: '§2.9 §8.13',
      steps: [
        ...puts(['wc01/a', '1'], ['wc01/a', '2'], ['wc01/a', '3']),
        compact(rev(2)),
        watch(create('wc01/a', { start_revision: rev(1) }), 2, { expect: [created('0'), compactedCancel('0', 'B+2')] }),
        put('wc01/a', '4'),
        quiet({ expect: [] }),
      ],
    },
    {
      name: 'the compaction cancel header: ids, no revision',
      ref: '§1.4 §8.13',
      steps: [
        ...puts(['wc02/a', '1'], ['wc02/a', '2']),
        compact(rev(2)),
        watch(create('wc02/a', { start_revision: rev(1) }), 2, {
          expect: [created('0'), { canceled: true, header: { cluster_id: '<cluster>', member_id: '<member>', raft_term: '<term>', revision: '0' } }],
        }),
      ],
    },
    {
      name: 'start_revision at the compact revision replays from it',
      ref: '§2.7 §2.9 §8.13',
      steps: [
        ...puts(['wc03/a', '1'], ['wc03/a', '2'], ['wc03/b', '3'], ['wc03/a', '4']),
        compact(rev(2)),
        watch(create('wc03/', { range_end: 'wc030', start_revision: rev(2) }), 2, {
          expect: [created('0'), events('0', [putEvent('wc03/a', '2'), putEvent('wc03/b', '3'), putEvent('wc03/a', '4')])],
        }),
      ],
    },
    {
      name: 'a delete exactly at the compact revision is replayed',
      ref: '§2.7 §3',
      steps: [
        ...puts(['wc04/a', '1'], ['wc04/b', '2']),
        del('wc04/a'),
        put('wc04/b', '3'),
        // physical: etcd 3.4.23 loses the delete once the compaction has removed its tombstone from the backend
        compact(rev(3), { physical: true }),
        watch(create('wc04/', { range_end: 'wc040', start_revision: rev(3) }), 2, {
          differs: {
            ref: '§3: etcd 3.4.23 drops a delete at exactly the compact revision once its tombstone is compacted away (#18089, fixed by #18274 in later 3.4/3.5 patches); eckd replays it',
            etcd: [created('0'), events('0', [putEvent('wc04/b', '3')])],
            eckd: [created('0'), events('0', [deleteEvent('wc04/a'), putEvent('wc04/b', '3')])],
          },
        }),
      ],
    },
    {
      name: 'prev_kv older than the compact revision is left out',
      ref: '§2.9',
      steps: [
        ...puts(['wc05/a', '1'], ['wc05/a', '2'], ['wc05/a', '3']),
        compact(rev(2)),
        watch(create('wc05/a', { start_revision: rev(2), prev_kv: true }), 2, {
          expect: [created('0'), events('0', [{ kv: { value: '2' }, prev_kv: null }, { kv: { value: '3' }, prev_kv: { value: '2' } }])],
        }),
      ],
    },
    {
      name: 'a live watch is not disturbed by a compaction',
      ref: '§2.9',
      steps: [
        watch(create('wc06/a', { prev_kv: true }), 1),
        ...puts(['wc06/a', '1'], ['wc06/a', '2']),
        collect(2),
        compact(rev(2)),
        put('wc06/a', '3'),
        collect(1, { expect: [events('0', [{ kv: { value: '3' }, prev_kv: { value: '2' } }])] }),
      ],
    },
    {
      name: 'only the compacted watch of a stream is canceled',
      ref: '§2.9',
      steps: [
        ...puts(['wc07/a', '1'], ['wc07/a', '2']),
        compact(rev(2)),
        watch([create('wc07/a'), create('wc07/a', { start_revision: rev(2) })], 3, { expect: [created('0'), created('1'), events('1', [putEvent('wc07/a', '2')])] }),
        watch(create('wc07/a', { start_revision: rev(1) }), 2, { expect: [created('2'), compactedCancel('2', 'B+2')] }),
        put('wc07/a', '3'),
        collect(2, { unordered: true, expect: [events('0', [putEvent('wc07/a', '3')]), events('1', [putEvent('wc07/a', '3')])] }),
      ],
    },
    {
      name: 'negative start_revision after a compaction',
      ref: '§0 §2.9 §8.15',
      steps: [
        ...puts(['wc08/a', '1'], ['wc08/a', '2']),
        compact(rev(2)),
        watch(create('wc08/a', { start_revision: -1 }), 0, {
          differs: {
            ref: '§0: 3.4 creates the watch then cancels it as compacted; 3.6.14+ refuses it in one response',
            etcd: [created('0'), compactedCancel('0', 'B+2')],
            eckd: [{ watch_id: '-1', created: true, canceled: true, cancel_reason: 'etcdserver: mvcc: required revision has been compacted' }],
          },
        }),
      ],
    },
  ],
};
