import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getBackend, init } from '@automerge/automerge';
import { baseActorId, baseChangeBytes, baseChangeHash, baseMessage, kvMapId, kvMapKey, leasesMapId, leasesMapKey } from './base-change.js';
import { createKvDocument } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

describe('deterministic base', () => {
  test('the constant base change is what Automerge builds from its recipe', () => {
    const handle = getBackend(init({ actor: baseActorId }));
    assert.equal(handle.putObject('_root', kvMapKey, {}), kvMapId);
    assert.equal(handle.putObject('_root', leasesMapKey, {}), leasesMapId);
    assert.equal(handle.commit(baseMessage, 0), baseChangeHash);
    assert.deepEqual(handle.getLastLocalChange(), baseChangeBytes());
  });

  test('the base change bytes are stable (golden hash)', () => {
    const sha = createHash('sha256').update(baseChangeBytes()).digest('hex');
    assert.equal(sha, '8fca9eb929dc05114f79285090ba222ba0bae23facc1afb6d92995d6c2f426ee');
    assert.equal(baseChangeHash, '998eaa9333d6839d32cd4fa502808f6c45fa81ce7ee71f125bf204fdaeeb1277');
  });

  test('every new document starts at the base heads', () => {
    assert.deepEqual(createKvDocument().heads(), [baseChangeHash]);
  });

  test('documents created apart and written concurrently converge', () => {
    const a = createKvDocument();
    const b = createKvDocument();
    a.put('only-a', bytes('a'), '0');
    a.put('both', bytes('from a'), '1');
    b.put('only-b', bytes('b'), '0');
    b.put('both', bytes('from b'), '2');
    const fromA = a.commit()!.bytes;
    const fromB = b.commit()!.bytes;
    a.applyChanges([fromB]);
    b.applyChanges([fromA]);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.equal(a.size(), 3);
    assert.equal(a.heads().length, 2);
    // Both writes to `both` meet in the one shared map; one of them wins on both sides.
    assert.ok(['from a', 'from b'].includes(new TextDecoder().decode(a.get('both')!.value)));
  });
});

test('leases live in their own map and merge like keys', () => {
  const a = createKvDocument();
  const b = createKvDocument();
  a.putLease('7', 10);
  b.putLease('8', 20);
  const fromA = a.commit()!.bytes;
  const fromB = b.commit()!.bytes;
  a.applyChanges([fromB]);
  b.applyChanges([fromA]);
  assert.deepEqual(a.leases(), [{ id: '7', ttl: 10 }, { id: '8', ttl: 20 }]);
  assert.deepEqual(b.leases(), a.leases());
  a.deleteLease('7');
  a.commit();
  assert.deepEqual(a.leases(), [{ id: '8', ttl: 20 }]);
  assert.equal(a.size(), 0, 'leases are not keys');
});

test('lease ids and TTLs are checked', () => {
  const doc = createKvDocument();
  for (const [id, ttl] of [['0', 5], ['07', 5], ['x', 5], ['7', -1], ['7', 1.5]] as const) {
    assert.throws(() => doc.putLease(id, ttl), /^AutomergeDocError: automerge-doc: /);
  }
  assert.throws(() => doc.deleteLease('0'), /automerge-doc: lease id 0/);
  doc.putLease('-9223372036854775808', 0);
  assert.ok(doc.commit());
});
