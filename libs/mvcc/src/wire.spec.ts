import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import { MvccStore } from './mvcc-store.js';
import { b, del, put } from './spec-helpers.js';
import type { RevisionPatch } from './types.js';
import { eventFromWire, keyValueFromWire, revisionPatchFromWire } from './wire.js';

const leaseId = '7587869823478237321'; // beyond 2^53: must survive as a string

describe('wire conversions', () => {
  test('a domain patch survives the PatchBatch encoding unchanged', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    store.write({ put: { key: b('b'), value: b('2'), lease: leaseId } }, { leaseExists: () => true });
    del(store, 'a');
    const patches: RevisionPatch[] = store.eventsBetween(2, 4);
    const decoded = codecs.patchBatch.decode(codecs.patchBatch.encode({ patches, identity: null, compact_revision: -1 }));
    assert.deepEqual(decoded.patches.map(revisionPatchFromWire), patches);
  });

  test('a decoded kv becomes a domain KeyValue with numbers and an exact lease id', () => {
    const kv = keyValueFromWire({ key: b('k'), create_revision: '5', mod_revision: '9', version: '3', value: b('v'), lease: leaseId });
    assert.deepEqual(kv, { key: b('k'), create_revision: 5, mod_revision: 9, version: 3, value: b('v'), lease: leaseId });
  });

  test('unset fields and enum numbers read as the wire defaults', () => {
    assert.deepEqual(eventFromWire({ kv: { key: b('k') } }), {
      type: 'PUT',
      kv: { key: b('k'), create_revision: 0, mod_revision: 0, version: 0, value: Buffer.alloc(0), lease: '0' },
    });
    assert.deepEqual(eventFromWire({ type: 1, kv: { key: b('k'), mod_revision: 4 } }), { type: 'DELETE', kv: { key: b('k'), mod_revision: 4 } });
  });
});
