import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MaintenanceState } from '@eckd/change-codec';
import { activateAlarm, deactivateAlarm, downgrade, getAlarms, hasAlarm } from './maintenance-alarms.js';

const empty: MaintenanceState = { alarms: [], downgrade: null };

describe('alarm store', () => {
  test('activate adds once and answers the alarm either way; NONE is ignored (3.5+)', () => {
    const first = activateAlarm(empty, '7', 'NOSPACE');
    assert.deepEqual(first.alarms, [{ memberID: '7', alarm: 'NOSPACE' }]);
    assert.ok(first.next && hasAlarm(first.next, 'NOSPACE'));
    const again = activateAlarm(first.next, '7', 'NOSPACE');
    assert.deepEqual(again.alarms, [{ memberID: '7', alarm: 'NOSPACE' }]);
    assert.equal(again.next, undefined, 'nothing to store');
    assert.deepEqual(activateAlarm(empty, '7', 'NONE'), { alarms: [] });
  });

  test('get filters by type (NONE: all) in type then member order', () => {
    let s = empty;
    for (const [id, type] of [['9', 'CORRUPT'], ['18446744073709551615', 'NOSPACE'], ['2', 'NOSPACE']] as const) s = activateAlarm(s, id, type).next!;
    assert.deepEqual(getAlarms(s, 'NONE').map((a) => `${a.alarm}:${a.memberID}`), ['NOSPACE:2', 'NOSPACE:18446744073709551615', 'CORRUPT:9']);
    assert.deepEqual(getAlarms(s, 'CORRUPT'), [{ memberID: '9', alarm: 'CORRUPT' }]);
  });

  test('deactivate removes exactly that member and type, or answers nothing', () => {
    const s = activateAlarm(activateAlarm(empty, '1', 'NOSPACE').next!, '2', 'NOSPACE').next!;
    assert.deepEqual(deactivateAlarm(s, '3', 'NOSPACE'), { alarms: [] });
    assert.deepEqual(deactivateAlarm(s, '1', 'CORRUPT'), { alarms: [] });
    const out = deactivateAlarm(s, '1', 'NOSPACE');
    assert.deepEqual(out.alarms, [{ memberID: '1', alarm: 'NOSPACE' }]);
    assert.deepEqual(getAlarms(out.next!, 'NONE'), [{ memberID: '2', alarm: 'NOSPACE' }]);
  });

  test('enum numbers from storage read as names', () => {
    assert.ok(hasAlarm({ alarms: [{ memberID: '1', alarm: 1 }], downgrade: null }, 'NOSPACE'));
  });
});

describe('downgrade state', () => {
  test('enable, then validate and enable fail until cancel; cancel of none succeeds', () => {
    assert.deepEqual(downgrade(empty, 'VALIDATE', '3.5.0'), {});
    assert.deepEqual(downgrade(empty, 'CANCEL', ''), {});
    const enabled = downgrade(empty, 'ENABLE', '3.5.0').next!;
    assert.deepEqual(enabled.downgrade, { enabled: true, targetVersion: '3.5.0' });
    assert.deepEqual(downgrade(enabled, 'VALIDATE', '3.5.0'), { error: 'DowngradeInProcess' });
    assert.deepEqual(downgrade(enabled, 'ENABLE', '3.5.0'), { error: 'DowngradeInProcess' });
    assert.deepEqual(downgrade(enabled, 'CANCEL', '').next!.downgrade, { enabled: false, targetVersion: '' });
  });
});
