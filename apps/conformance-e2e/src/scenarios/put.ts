// Put: revisions and versions, prev_kv, the ignore_value/ignore_lease flags
// and their errors, leases, validation order (docs/ETCD-BEHAVIOUR.md §2.4, §8.2, §8.6).
import { del, fails, ok, put, range } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

// No scenario grants a lease, so this id is unknown on both servers.
const unknownLease = 12345;

export const putScenarios: ScenarioGroup = {
  area: 'Put',
  scenarios: [
    {
      name: 'create then update: create_revision, mod_revision, version',
      ref: '§2.2 §8.2',
      steps: [put('pu01/a', '1'), put('pu01/a', '2'), ok(range('pu01/a'), { kvs: [{ create_revision: 'B+1', mod_revision: 'B+2', version: '2' }] })],
    },
    {
      name: 'prev_kv on a new key is absent',
      ref: '§2.4',
      steps: [ok(put('pu02/a', '1', { prev_kv: true }), { prev_kv: null })],
    },
    {
      name: 'prev_kv on an existing key',
      ref: '§2.4',
      steps: [put('pu03/a', '1'), ok(put('pu03/a', '2', { prev_kv: true }), { prev_kv: { value: '1', version: '1' } })],
    },
    {
      name: 'identical value still makes a new revision',
      ref: '§2.1 §8.23',
      steps: [put('pu04/a', 'same'), ok(put('pu04/a', 'same'), { header: { revision: 'B+2' } }), ok(range('pu04/a'), { kvs: [{ version: '2' }] })],
    },
    {
      name: 'empty value',
      ref: '§2.4',
      steps: [put('pu05/a', ''), ok(range('pu05/a'), { count: '1', kvs: [{ value: '' }] })],
    },
    {
      name: 'binary value',
      ref: '§2.4',
      steps: [put('pu06/a', '\x00\xff\x01\x80'), range('pu06/a')],
    },
    {
      name: 'delete resets version and create_revision',
      ref: '§2.2 §8.2',
      steps: [put('pu07/a', '1'), put('pu07/a', '2'), del('pu07/a'), put('pu07/a', '3'), ok(range('pu07/a'), { kvs: [{ create_revision: 'B+4', version: '1' }] })],
    },
    {
      name: 'empty key',
      ref: '§1.5 §2.4',
      steps: [fails(put('', 'v'), 'EmptyKey')],
    },
    {
      name: 'unknown lease: NotFound and no revision',
      ref: '§2.4 §8.6',
      steps: [put('pu09/x', '0'), fails(put('pu09/a', 'v', { lease: unknownLease }), 'LeaseNotFound'), ok(range('pu09/a'), { count: '0', header: { revision: 'B+1' } })],
    },
    {
      name: 'unknown lease on an existing key leaves it unchanged',
      ref: '§2.4',
      steps: [put('pu10/a', '1'), fails(put('pu10/a', '2', { lease: unknownLease }), 'LeaseNotFound'), ok(range('pu10/a'), { kvs: [{ value: '1' }] })],
    },
    {
      name: 'ignore_value on a missing key',
      ref: '§2.4 §8.6',
      steps: [fails(put('pu11/a', '', { ignore_value: true }), 'KeyNotFound')],
    },
    {
      name: 'ignore_value with a value',
      ref: '§2.4 §8.6',
      steps: [put('pu12/a', '1'), fails(put('pu12/a', 'v', { ignore_value: true }), 'ValueProvided')],
    },
    {
      name: 'ignore_value keeps the value and returns prev_kv',
      ref: '§2.4 §8.6',
      steps: [
        put('pu13/a', 'keep'),
        ok(put('pu13/a', '', { ignore_value: true, prev_kv: true }), { prev_kv: { value: 'keep' } }),
        ok(range('pu13/a'), { kvs: [{ value: 'keep', version: '2', mod_revision: 'B+2' }] }),
      ],
    },
    {
      name: 'ignore_lease on a missing key',
      ref: '§2.4',
      steps: [fails(put('pu14/a', 'v', { ignore_lease: true }), 'KeyNotFound')],
    },
    {
      name: 'ignore_lease with a lease',
      ref: '§2.4 §8.6',
      steps: [put('pu15/a', '1'), fails(put('pu15/a', 'v', { ignore_lease: true, lease: unknownLease }), 'LeaseProvided')],
    },
    {
      name: 'ignore_lease on an existing key without lease',
      ref: '§2.4',
      steps: [put('pu16/a', '1'), ok(put('pu16/a', '2', { ignore_lease: true })), ok(range('pu16/a'), { kvs: [{ value: '2', lease: '0' }] })],
    },
    {
      name: 'ignore_value and ignore_lease together',
      ref: '§2.4',
      steps: [put('pu17/a', '1'), ok(put('pu17/a', '', { ignore_value: true, ignore_lease: true, prev_kv: true })), range('pu17/a')],
    },
    {
      name: 'validation order: empty key before ignore_value with a value',
      ref: '§2.4',
      steps: [fails(put('', 'v', { ignore_value: true }), 'EmptyKey')],
    },
    {
      name: 'validation order: value provided before lease provided',
      ref: '§2.4',
      steps: [put('pu19/a', '1'), fails(put('pu19/a', 'v', { ignore_value: true, ignore_lease: true, lease: unknownLease }), 'ValueProvided')],
    },
    {
      name: 'validation order: lease provided before an unknown lease',
      ref: '§2.4',
      steps: [fails(put('pu20/a', 'v', { ignore_lease: true, lease: unknownLease }), 'LeaseProvided')],
    },
    {
      name: 'unknown lease before key not found (ignore_value on a missing key)',
      ref: '§2.4',
      steps: [put('pu21/x', '0'), put('pu21/a', '', { ignore_value: true, lease: unknownLease })],
    },
    {
      name: 'prev_kv with ignore_value on a missing key',
      ref: '§2.4',
      steps: [fails(put('pu22/a', '', { ignore_value: true, prev_kv: true }), 'KeyNotFound')],
    },
  ],
};
