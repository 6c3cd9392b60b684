// Watch: long history replays. A catch-up response holds at most 1000 of the
// watch's own revisions (etcd's watchBatchMaxRevs counts the revisions of
// the events the watch matches, not store revisions), and the rest follows
// in later responses (docs/ETCD-BEHAVIOUR.md §2.9). Runs on the compaction servers, which
// have room for a long history.
import { put } from '../harness/dsl.js';
import type { ScenarioGroup, Step } from '../harness/scenario.js';
import { create, created, events, putEvent, quiet, watch } from '../harness/watch-dsl.js';

const repeat = (n: number, step: (i: number) => Step): Step[] => Array.from({ length: n }, (_, i) => step(i));
const versions = (from: number, count: number) => Array.from({ length: count }, (_, i) => putEvent('wb01/a', 'x', { version: String(from + i) }));

export const watchBatch: ScenarioGroup = {
  area: 'Watch: long replays',
  scenarios: [
    {
      name: 'a replay is cut after 1000 of the watch’s own revisions',
      ref: '§2.9',
      steps: [
        ...repeat(600, () => put('wb01/a', 'x')),
        ...repeat(600, () => put('wb01/b', 'not watched')),
        ...repeat(401, () => put('wb01/a', 'x')),
        watch(create('wb01/a', { start_revision: { $rev: 1 } }), 3, {
          timeoutMs: 5_000,
          expect: [created('0'), events('0', versions(1, 1000)), events('0', versions(1001, 1))],
        }),
        quiet({ expect: [] }),
      ],
    },
  ],
};
