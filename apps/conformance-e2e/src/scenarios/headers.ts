// Response headers: which fields each answer fills, the revision it
// carries, and the headers inside txn responses (docs/ETCD-BEHAVIOUR.md §1.4, §8.10).
import { del, ok, op, put, range, rev, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

// Normalised: ids and term become placeholders when set, "0" when not.
const full = (revision: string) => ({ cluster_id: '<cluster>', member_id: '<member>', raft_term: '<term>', revision });
const revisionOnly = (revision: string) => ({ cluster_id: '0', member_id: '0', raft_term: '0', revision });
const empty = { cluster_id: '0', member_id: '0', raft_term: '0', revision: '0' };

export const headerScenarios: ScenarioGroup = {
  area: 'Response headers',
  scenarios: [
    {
      name: 'Range, Put and DeleteRange fill every header field',
      ref: '§1.4',
      steps: [ok(put('hd01/a', '1'), { header: full('B+1') }), ok(range('hd01/a'), { header: full('B+1') }), ok(del('hd01/a'), { header: full('B+2') })],
    },
    {
      name: 'Range of a missing key carries the current revision',
      ref: '§1.4',
      steps: [put('hd02/x', '1'), ok(range('hd02/a'), { header: full('B+1') })],
    },
    {
      name: 'ops inside a txn carry only the revision',
      ref: '§1.4 §8.10',
      steps: [
        put('hd03/a', '1'),
        ok(txn({ success: [op.put('hd03/b', '2'), op.range('hd03/a'), op.del('hd03/a')] }), {
          header: full('B+2'),
          responses: [{ response_put: { header: revisionOnly('B+2') } }, { response_range: { header: revisionOnly('B+2') } }, { response_delete_range: { header: revisionOnly('B+2') } }],
        }),
      ],
    },
    {
      name: 'a nested txn header is empty',
      ref: '§1.4 §8.10',
      steps: [put('hd04/a', '1'), ok(txn({ success: [op.txn({ success: [op.range('hd04/a')] })] }), { responses: [{ response_txn: { header: empty } }] })],
    },
    {
      name: 'read-only txn ops carry the current revision',
      ref: '§1.4',
      steps: [
        put('hd05/a', '1'),
        put('hd05/b', '1'),
        ok(txn({ success: [op.range('hd05/a', { revision: rev(1) })] }), { header: full('B+2'), responses: [{ response_range: { header: revisionOnly('B+2') } }] }),
      ],
    },
    {
      name: 'a delete of nothing answers the current revision',
      ref: '§1.4 §8.3',
      steps: [put('hd06/x', '1'), ok(del('hd06/a'), { header: full('B+1') })],
    },
    {
      name: 'the header of a failed-compare txn',
      ref: '§1.4',
      steps: [put('hd07/a', '1'), txn({ compare: [{ key: 'hd07/a', target: 'VERSION', result: 'EQUAL', version: 5 }], success: [op.put('hd07/a', 'x')], failure: [op.range('hd07/a')] })],
    },
    {
      name: 'ops before and after a no-op delete in one txn',
      ref: '§1.4',
      steps: [put('hd08/x', '1'), txn({ success: [op.del('hd08/none'), op.put('hd08/a', '1'), op.del('hd08/none2')] })],
    },
  ],
};
