// Contender keys are etcd's: `<name>/` and the lease as Go's %x prints an int64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contenderKey, contenderPrefix } from './contender-keys.js';

test('a contender key is <name>/<lease in lower-case hex>, negative ids with a minus sign', () => {
  const prefix = contenderPrefix(Buffer.from('job'));
  assert.equal(contenderKey(prefix, '7587872796500184912').toString(), 'job/694d8a1b2c3e4f50');
  assert.equal(contenderKey(prefix, '81001').toString(), 'job/13c69');
  assert.equal(contenderKey(prefix, '9223372036854775807').toString(), 'job/7fffffffffffffff');
  assert.equal(contenderKey(prefix, '-26').toString(), 'job/-1a');
});
