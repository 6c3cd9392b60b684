import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryRecorder } from './history.js';
import { isReadOnlyKvRequest } from './kv-model.js';
import type { KvRequest, KvResponse } from './kv-types.js';
import { LincheckError } from './model.js';

function recorder(): HistoryRecorder<KvRequest, KvResponse> {
  let t = 0n;
  return new HistoryRecorder<KvRequest, KvResponse>({ isReadOnly: isReadOnlyKvRequest, clock: () => (t += 10n) });
}

describe('HistoryRecorder', () => {
  test('records call and return times around the operation', async () => {
    const h = recorder();
    const out = await h.record(3, { type: 'put', key: 'a', value: '1' }, async () => ({ revision: 2, type: 'put' }));
    assert.deepEqual(out, { revision: 2, type: 'put' });
    const [op] = h.operations();
    assert.deepEqual(op, { clientId: 3, call: 10, return: 20, input: { type: 'put', key: 'a', value: '1' }, output: { revision: 2, type: 'put' } });
  });

  test('a failed write is kept with an unknown output and return Infinity; a failed read is dropped', async () => {
    const h = recorder();
    await assert.rejects(h.record(1, { type: 'put', key: 'a', value: '1' }, () => Promise.reject(new Error('deadline'))), /deadline/);
    await assert.rejects(h.record(1, { type: 'range', key: 'a' }, () => Promise.reject(new Error('unavailable'))));
    const ops = h.operations();
    assert.equal(ops.length, 1);
    assert.equal(ops[0]!.return, Infinity);
    assert.equal(ops[0]!.output, undefined);
    assert.equal(ops[0]!.error, 'Error: deadline');
  });

  test('misuse throws: settling twice, reading the history with operations pending', () => {
    const h = recorder();
    const p = h.begin(0, { type: 'range', key: 'a' });
    assert.throws(() => h.operations(), LincheckError);
    p.succeed({ revision: 1, type: 'range', kvs: [] });
    assert.throws(() => p.fail(new Error('x')), /settled twice/);
    assert.equal(h.operations().length, 1);
  });
});
