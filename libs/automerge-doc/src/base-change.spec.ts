import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getBackend, init } from '@automerge/automerge';
import { baseActorId, baseChangeBytes, baseChangeHash, baseMessage, kvMapId, kvMapKey } from './base-change.js';
import { createKvDocument } from './index.js';
import { bytes, snapshot } from './test-helpers.js';

describe('deterministic base', () => {
  test('the constant base change is what Automerge builds from its recipe', () => {
    const handle = getBackend(init({ actor: baseActorId }));
    assert.equal(handle.putObject('_root', kvMapKey, {}), kvMapId);
    assert.equal(handle.commit(baseMessage, 0), baseChangeHash);
    assert.deepEqual(handle.getLastLocalChange(), baseChangeBytes());
  });

  test('the base change bytes are stable (golden hash)', () => {
    const sha = createHash('sha256').update(baseChangeBytes()).digest('hex');
    assert.equal(sha, '883bb11c38048ccea434c0803191f2cfa9238b90e7e48422424efa0344d5cbc7');
    assert.equal(baseChangeHash, '9d68c68dab2d42a9cf900375a816d183a4d8cf3ef593ac45671ec1865bdc5de1');
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
