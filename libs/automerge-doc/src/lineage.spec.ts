import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseChangeHash, buildCutBase, createKvDocument, loadKvDocument, originalLineage, rebaseChange } from './index.js';
import { bytes } from './test-helpers.js';

describe('lineage', () => {
  test('a document that never cut is on the original lineage, saved and loaded or not', () => {
    const doc = createKvDocument();
    doc.put('a', bytes('1'), '0');
    doc.commit();
    assert.deepEqual(doc.lineage(), { id: baseChangeHash, cut: 0 });
    assert.deepEqual(loadKvDocument({ saved: doc.save() }).lineage(), originalLineage);
  });

  test("a cut's base gives its hash and number; a single node's rebase its hash and 0", () => {
    const doc = createKvDocument({ actorId: 'aa'.repeat(16) });
    doc.putTagged('k', bytes('v'), '0', { hlc: 5n, member: 1n }, 1n);
    doc.commit({ member: 1n, revision: 1n });
    const cut = buildCutBase(doc.cutStateAt(doc.heads()), { cut: 3, previousLineage: baseChangeHash }, 0n);
    const onCut = loadKvDocument({ base: cut.bytes });
    onCut.put('after', bytes('x'), '0');
    onCut.commit();
    // Read from a saved document too: the base is found among the changes, not given.
    assert.deepEqual(loadKvDocument({ saved: onCut.save() }).lineage(), { id: cut.lineage, cut: 3 });
    const rebased = rebaseChange(doc);
    assert.deepEqual(loadKvDocument({ base: rebased.bytes }).lineage(), { id: rebased.hash, cut: 0 });
  });
});
