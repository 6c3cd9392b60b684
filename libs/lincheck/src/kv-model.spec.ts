// The sequential etcd KV model against docs/ETCD-BEHAVIOUR.md §2.2–2.6.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kvResponsesMatch } from './kv-format.js';
import { emptyKvState, isReadOnlyKvRequest, kvStateKey, stepKv } from './kv-model.js';
import type { KvRequest, KvResponse, KvState } from './kv-types.js';

function run(reqs: KvRequest[], state: KvState = emptyKvState()): { state: KvState; outputs: KvResponse[] } {
  const outputs: KvResponse[] = [];
  for (const r of reqs) {
    const step = stepKv(state, r);
    state = step.state;
    outputs.push(step.output);
  }
  return { state, outputs };
}

describe('kv model', () => {
  test('put creates then bumps version; mod/create revisions follow the store revision', () => {
    const { state, outputs } = run([
      { type: 'put', key: 'a', value: '1' },
      { type: 'put', key: 'b', value: '1' },
      { type: 'put', key: 'a', value: '2', prevKv: true },
      { type: 'range', key: 'a' },
    ]);
    assert.equal(state.revision, 4);
    assert.deepEqual(outputs[2], { revision: 4, type: 'put', prevKv: { key: 'a', value: '1', modRevision: 2, createRevision: 2, version: 1 } });
    assert.deepEqual(outputs[3], { revision: 4, type: 'range', kvs: [{ key: 'a', value: '2', modRevision: 4, createRevision: 2, version: 2 }] });
  });

  test('delete of a missing key keeps the revision; recreate resets version and create revision', () => {
    const { state, outputs } = run([
      { type: 'delete', key: 'a' },
      { type: 'put', key: 'a', value: '1' },
      { type: 'delete', key: 'a', prevKv: true },
      { type: 'put', key: 'a', value: '2' },
    ]);
    assert.deepEqual(outputs[0], { revision: 1, type: 'delete', deleted: 0 });
    assert.equal((outputs[2] as { deleted: number }).deleted, 1);
    assert.deepEqual(state.keys.get('a'), { value: '2', modRevision: 4, createRevision: 4, version: 1 });
  });

  test('txn: compares see the state before, ops see earlier ops, one revision for all writes', () => {
    const { state } = run([{ type: 'put', key: 'a', value: '1' }]);
    const { state: after, outputs } = run(
      [
        {
          type: 'txn',
          compare: [{ key: 'a', target: 'value', result: 'equal', value: '1' }, { key: 'b', target: 'version', result: 'equal', value: 0 }],
          success: [
            { type: 'put', key: 'a', value: '2' },
            { type: 'put', key: 'b', value: '1' },
            { type: 'range', key: 'a' },
          ],
          failure: [],
        },
      ],
      state,
    );
    assert.equal(after.revision, 3);
    assert.deepEqual(outputs[0], {
      revision: 3,
      type: 'txn',
      succeeded: true,
      responses: [{ type: 'put' }, { type: 'put' }, { type: 'range', kvs: [{ key: 'a', value: '2', modRevision: 3, createRevision: 2, version: 2 }] }],
    });
  });

  test('txn: a VALUE compare on a missing key is false even for not_equal; read-only branches keep the revision', () => {
    const { state, outputs } = run([
      { type: 'txn', compare: [{ key: 'nope', target: 'value', result: 'not_equal', value: 'x' }], success: [{ type: 'put', key: 'nope', value: 'y' }], failure: [{ type: 'range', key: 'nope' }] },
      { type: 'txn', compare: [{ key: 'nope', target: 'mod', result: 'equal', value: 0 }], success: [{ type: 'delete', key: 'nope' }], failure: [] },
    ]);
    assert.equal(state.revision, 1);
    assert.deepEqual(outputs[0], { revision: 1, type: 'txn', succeeded: false, responses: [{ type: 'range', kvs: [] }] });
    assert.deepEqual(outputs[1], { revision: 1, type: 'txn', succeeded: true, responses: [{ type: 'delete', deleted: 0 }] });
  });

  test('greater/less compares on mod revision', () => {
    const { state } = run([{ type: 'put', key: 'a', value: '1' }]);
    const txn = (result: 'greater' | 'less', value: number): KvRequest => ({ type: 'txn', compare: [{ key: 'a', target: 'mod', result, value }], success: [], failure: [] });
    const succeeded = (r: KvRequest) => (stepKv(state, r).output as { succeeded: boolean }).succeeded;
    assert.equal(succeeded(txn('greater', 1)), true);
    assert.equal(succeeded(txn('greater', 2)), false);
    assert.equal(succeeded(txn('less', 3)), true);
  });

  test('range at an older revision matches on the header revision only; a future revision never matches', () => {
    const { state } = run([
      { type: 'put', key: 'a', value: '1' },
      { type: 'put', key: 'a', value: '2' },
    ]);
    const old: KvRequest = { type: 'range', key: 'a', revision: 2 };
    const predicted = stepKv(state, old).output;
    const observed: KvResponse = { revision: 3, type: 'range', kvs: [{ key: 'a', value: '1', modRevision: 2, createRevision: 2, version: 1 }] };
    assert.ok(kvResponsesMatch(old, predicted, observed));
    assert.ok(!kvResponsesMatch(old, predicted, { ...observed, revision: 4 }));
    const future: KvRequest = { type: 'range', key: 'a', revision: 9 };
    assert.equal(stepKv(state, future).output.type, 'error');
    assert.ok(!kvResponsesMatch(future, stepKv(state, future).output, observed));
  });

  test('prev_kv is compared only when requested', () => {
    const { state } = run([{ type: 'put', key: 'a', value: '1' }]);
    const plain: KvRequest = { type: 'put', key: 'a', value: '2' };
    const withPrev: KvRequest = { ...plain, prevKv: true };
    const observed: KvResponse = { revision: 3, type: 'put' };
    assert.ok(kvResponsesMatch(plain, stepKv(state, plain).output, observed));
    assert.ok(!kvResponsesMatch(withPrev, stepKv(state, withPrev).output, observed));
  });

  test('state keys are canonical; read-only detection', () => {
    const a = run([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '1' }, { type: 'delete', key: 'a' }, { type: 'put', key: 'a', value: '1' }]).state;
    const b = run([{ type: 'put', key: 'b', value: '1' }, { type: 'put', key: 'a', value: '0' }, { type: 'delete', key: 'a' }, { type: 'put', key: 'a', value: '1' }]).state;
    assert.notEqual(kvStateKey(a), kvStateKey(b), 'b was created at a different revision');
    assert.equal(kvStateKey(a), kvStateKey({ revision: a.revision, keys: new Map([...a.keys].reverse()) }));
    assert.equal(isReadOnlyKvRequest({ type: 'txn', compare: [], success: [{ type: 'range', key: 'a' }], failure: [] }), true);
    assert.equal(isReadOnlyKvRequest({ type: 'txn', compare: [], success: [], failure: [{ type: 'delete', key: 'a' }] }), false);
  });
});
