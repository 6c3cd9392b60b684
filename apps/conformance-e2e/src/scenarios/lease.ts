// Lease scenarios (docs/ETCD-BEHAVIOUR.md §2.8, §8 items 6, 17–19): grant rules and
// errors, keys attached and moved, revoke and expiry deleting keys in one
// revision, time-to-live answers. Lease ids are chosen by the scenarios so
// both servers hold the same ones; a remaining TTL is clock-dependent and
// left out of the comparison (the granted TTL is compared).
import { del, fails, leaseGrant, leaseRevoke, leaseTimeToLive, ok, op, put, range, sleep, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

export const leaseScenarios: ScenarioGroup = {
  area: 'Lease',
  scenarios: [
    { name: 'grant with a chosen id and TTL', ref: '§2.8', steps: [ok(leaseGrant('71001', 10), { ID: '71001', TTL: '10' })] },
    { name: 'grant raises a TTL below the minimum to 2 s', ref: '§2.8 §8.17', steps: [ok(leaseGrant('71002', 1), { TTL: '2' })] },
    { name: 'grant of TTL 0 and of a negative TTL', ref: '§2.8 §8.17', steps: [leaseGrant('71003', 0), leaseGrant('71004', -5)] },
    { name: 'grant of an existing id', ref: '§2.8 §8.17', steps: [leaseGrant('71005', 10), fails(leaseGrant('71005', 10), 'LeaseExist')] },
    { name: 'grant of a TTL above the maximum', ref: '§2.8 §8.17', steps: [fails(leaseGrant('71006', 9_000_000_001), 'LeaseTTLTooLarge')] },
    { name: 'grant does not change the revision', ref: '§1.4 §2.8', steps: [put('ls07/a', '1'), leaseGrant('71007', 10), range('ls07/a')] },
    { name: 'revoke of an unknown lease', ref: '§2.8 §8.18', steps: [fails(leaseRevoke('71008'), 'LeaseNotFound')] },
    { name: 'revoke of a lease without keys makes no revision', ref: '§2.8 §8.18', steps: [leaseGrant('71009', 10), leaseRevoke('71009'), range('ls09/')] },
    {
      name: 'revoke deletes the attached keys in one revision',
      ref: '§2.8 §8.18',
      steps: [
        leaseGrant('71010', 100),
        put('ls10/a', '1', { lease: '71010' }),
        put('ls10/b', '2', { lease: '71010' }),
        put('ls10/c', '3'),
        leaseRevoke('71010'),
        range('ls10/', { range_end: 'ls100' }),
      ],
    },
    { name: 'revoke twice', ref: '§2.8', steps: [leaseGrant('71011', 10), leaseRevoke('71011'), fails(leaseRevoke('71011'), 'LeaseNotFound')] },
    { name: 'put with an unknown lease', ref: '§2.4 §8.6', steps: [fails(put('ls12/a', '1', { lease: '71012' }), 'LeaseNotFound'), range('ls12/a')] },
    { name: 'a key shows its lease', ref: '§2.8', steps: [leaseGrant('71013', 100), put('ls13/a', '1', { lease: '71013' }), range('ls13/a')] },
    {
      name: 'time to live of an unknown lease: TTL -1, no error',
      ref: '§2.8 §8.18',
      steps: [ok(leaseTimeToLive('71014', false, { ignore: [] }), { ID: '71014', TTL: '-1' })],
    },
    // etcd lists several keys in Go map order (unspecified), so one key here.
    { name: 'time to live with keys', ref: '§2.8', steps: [leaseGrant('71015', 100), put('ls15/a', '2', { lease: '71015' }), leaseTimeToLive('71015', true)] },
    { name: 'time to live without keys', ref: '§2.8', steps: [leaseGrant('71016', 100), put('ls16/a', '1', { lease: '71016' }), leaseTimeToLive('71016', false)] },
    {
      name: 'a put without a lease detaches the key',
      ref: '§2.4 §2.8',
      steps: [leaseGrant('71017', 100), put('ls17/a', '1', { lease: '71017' }), put('ls17/a', '2'), leaseTimeToLive('71017', true), range('ls17/a')],
    },
    {
      name: 'a put with another lease moves the key',
      ref: '§2.8',
      steps: [
        leaseGrant('71018', 100),
        leaseGrant('71019', 100),
        put('ls18/a', '1', { lease: '71018' }),
        put('ls18/a', '2', { lease: '71019' }),
        leaseTimeToLive('71018', true),
        leaseTimeToLive('71019', true),
      ],
    },
    {
      name: 'ignore_lease keeps the key on its lease',
      ref: '§2.4 §8.6',
      steps: [leaseGrant('71020', 100), put('ls20/a', '1', { lease: '71020' }), put('ls20/a', '2', { ignore_lease: true }), leaseTimeToLive('71020', true), range('ls20/a')],
    },
    {
      name: 'deleting a key detaches it',
      ref: '§2.5 §2.8',
      steps: [leaseGrant('71021', 100), put('ls21/a', '1', { lease: '71021' }), del('ls21/a'), leaseTimeToLive('71021', true)],
    },
    {
      name: 'txn: an unknown lease in the chosen branch fails the txn, in the other branch it does not matter',
      ref: '§2.6 §2.8',
      steps: [
        fails(txn({ success: [op.put('ls22/a', '1', { lease: '71022' })] }), 'LeaseNotFound'),
        txn({ compare: [{ key: 'ls22/x', target: 'VERSION', result: 'EQUAL', version: '1' }], success: [op.put('ls22/a', '1', { lease: '71022' })], failure: [op.put('ls22/b', '2')] }),
        range('ls22/', { range_end: 'ls220' }),
      ],
    },
    {
      name: 'expiry deletes the keys in one revision',
      ref: '§2.8 §8.19',
      steps: [
        leaseGrant('71023', 2),
        put('ls23/a', '1', { lease: '71023' }),
        put('ls23/b', '2', { lease: '71023' }),
        sleep(3_500),
        range('ls23/', { range_end: 'ls230' }),
        ok(leaseTimeToLive('71023', false, { ignore: [] }), { TTL: '-1' }),
      ],
    },
  ],
};
