import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdRpcError } from '../to-grpc-error.js';
import { alarmString } from './status.js';
import { checkDowngradeTarget, parseSemver } from './downgrade.js';

describe('downgrade target (etcd convertToClusterVersion)', () => {
  test('semantic versions and major.minor parse as go-semver does', () => {
    assert.deepEqual(parseSemver('3.5.0'), { major: 3, minor: 5, patch: 0 });
    assert.deepEqual(parseSemver('3.5.2-rc.1+build.7'), { major: 3, minor: 5, patch: 2 });
    for (const bad of ['3.5', 'v3.5.0', '3.5.x', '3..0', '3.5.0-bad_id', '']) assert.equal(parseSemver(bad), undefined, bad);
    assert.deepEqual(parseSemver('3.5.0-'), { major: 3, minor: 5, patch: 0 }, 'an empty pre-release is valid in go-semver');
    assert.equal(checkDowngradeTarget('3.5'), '3.5.0');
    assert.equal(checkDowngradeTarget('3.5.9'), '3.5.0');
  });

  test('a bad format or a target other than 3.5 gives etcd errors', () => {
    const name = (v: string) => {
      try {
        checkDowngradeTarget(v);
        return 'ok';
      } catch (err) {
        return (err as EtcdRpcError).rpcName;
      }
    };
    assert.equal(name('abc'), 'WrongDowngradeVersionFormat');
    assert.equal(name('3'), 'WrongDowngradeVersionFormat');
    assert.equal(name('3.4'), 'InvalidDowngradeTargetVersion');
    assert.equal(name('3.6.0'), 'InvalidDowngradeTargetVersion');
  });
});

describe('alarm strings (Go AlarmMember.String)', () => {
  test('zero fields are left out, a space ends each field', () => {
    assert.equal(alarmString({ memberID: '42', alarm: 'NOSPACE' }), 'memberID:42 alarm:NOSPACE ');
    assert.equal(alarmString({ memberID: '5', alarm: 'NONE' }), 'memberID:5 ');
    assert.equal(alarmString({ memberID: '0', alarm: 'CORRUPT' }), 'alarm:CORRUPT ');
  });
});
