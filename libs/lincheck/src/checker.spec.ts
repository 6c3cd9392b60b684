// Textbook histories, linearizable and not, against the etcd KV model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizable } from './checker.js';
import type { Operation } from './history.js';
import { createKvModel } from './kv-model.js';
import type { KvRequest, KvResponse, KvTxnRequest, KvView } from './kv-types.js';
import { LincheckError } from './model.js';

type Op = Operation<KvRequest, KvResponse>;
const model = createKvModel();

function op(clientId: number, call: number, ret: number, input: KvRequest, output: KvResponse | undefined): Op {
  return { clientId, call, return: ret, input, output };
}
const put = (key: string, value: string): KvRequest => ({ type: 'put', key, value });
const get = (key: string): KvRequest => ({ type: 'range', key });
const kv = (key: string, value: string, mod: number, create: number, version: number): KvView => ({ key, value, modRevision: mod, createRevision: create, version });
const putOk = (revision: number): KvResponse => ({ revision, type: 'put' });
const got = (revision: number, ...kvs: KvView[]): KvResponse => ({ revision, type: 'range', kvs });
const cas = (key: string, mod: number, value: string): KvTxnRequest => ({
  type: 'txn',
  compare: [{ key, target: 'mod', result: 'equal', value: mod }],
  success: [{ type: 'put', key, value }],
  failure: [{ type: 'range', key }],
});
const casOk = (revision: number): KvResponse => ({ revision, type: 'txn', succeeded: true, responses: [{ type: 'put' }] });

/** x=1 written at revision 2 by client 0 during [0, 10]. */
const firstWrite = op(0, 0, 10, put('x', '1'), putOk(2));

describe('checkLinearizable on registers', () => {
  test('an empty history is linearizable', () => {
    assert.equal(checkLinearizable([], model).result, 'ok');
  });

  test('a read after a completed write must see it (stale read is illegal)', () => {
    const history = [firstWrite, op(0, 20, 30, put('x', '2'), putOk(3)), op(1, 40, 50, get('x'), got(2, kv('x', '1', 2, 2, 1)))];
    const res = checkLinearizable(history, model);
    assert.equal(res.result, 'illegal');
    assert.ok(!res.ok && !res.unknown);
    assert.equal(res.failedOp, 2);
    assert.deepEqual(res.partial.order, [0, 1]);
    assert.equal(res.partial.state.revision, 3);
    assert.match(res.reason, /operation 2 of client 1 .* get x returned \{rev 2 kvs \[x="1" mod 2/);
    assert.match(res.reason, /longest linearizable prefix \(2 of 3 operations\) the model predicts \{rev 3 kvs \[x="2" mod 3 create 2 ver 2\]\}/);
    assert.deepEqual(res.predicted, got(3, kv('x', '2', 3, 2, 2)));
  });

  test('a read concurrent with a write may see either value', () => {
    const write = op(0, 20, 60, put('x', '2'), putOk(3));
    const oldRead = op(1, 30, 40, get('x'), got(2, kv('x', '1', 2, 2, 1)));
    const newRead = op(2, 30, 40, get('x'), got(3, kv('x', '2', 3, 2, 2)));
    assert.equal(checkLinearizable([firstWrite, write, oldRead], model).result, 'ok');
    assert.equal(checkLinearizable([firstWrite, write, newRead], model).result, 'ok');
    // but not the new value and then, later, the old one
    const lateOld = op(1, 45, 50, get('x'), got(2, kv('x', '1', 2, 2, 1)));
    assert.equal(checkLinearizable([firstWrite, write, newRead, lateOld], model).result, 'illegal');
  });

  test('the header revision of a read is checked too', () => {
    const read = op(1, 20, 30, get('x'), got(3, kv('x', '1', 2, 2, 1)));
    assert.equal(checkLinearizable([firstWrite, read], model).result, 'illegal');
  });

  test('a read that observes a value before its write was called is illegal', () => {
    const read = op(1, 0, 5, get('y'), got(2, kv('y', 'v', 2, 2, 1)));
    const write = op(0, 10, 20, put('y', 'v'), putOk(2));
    assert.equal(checkLinearizable([read, write], model).result, 'illegal');
  });
});

describe('checkLinearizable on compare-and-swap', () => {
  const read0 = (c: number) => op(c, 20, 30, get('x'), got(2, kv('x', '1', 2, 2, 1)));

  test('a lost update (both CAS succeed after reading the same revision) is illegal', () => {
    const history = [firstWrite, read0(1), read0(2), op(1, 40, 50, cas('x', 2, 'a'), casOk(3)), op(2, 60, 70, cas('x', 2, 'b'), casOk(4))];
    assert.equal(checkLinearizable(history, model).result, 'illegal');
  });

  test('two concurrent txns cannot both succeed on the same compare', () => {
    const history = [firstWrite, op(1, 40, 70, cas('x', 2, 'a'), casOk(3)), op(2, 40, 70, cas('x', 2, 'b'), casOk(4))];
    const res = checkLinearizable(history, model);
    assert.equal(res.result, 'illegal');
    assert.ok(!res.ok && !res.unknown);
    assert.equal(res.partial.order.length, 2);
  });

  test('one concurrent CAS wins, the other fails and reads the winner', () => {
    const loser: KvResponse = { revision: 3, type: 'txn', succeeded: false, responses: [{ type: 'range', kvs: [kv('x', 'a', 3, 2, 2)] }] };
    const history = [firstWrite, op(1, 40, 70, cas('x', 2, 'a'), casOk(3)), op(2, 40, 70, cas('x', 2, 'b'), loser)];
    assert.equal(checkLinearizable(history, model).result, 'ok');
  });
});

describe('checkLinearizable with failed writes', () => {
  const lost = op(0, 20, Infinity, put('x', '2'), undefined);

  test('a failed write that did not apply: later reads see the old value', () => {
    const read = op(1, 40, 50, get('x'), got(2, kv('x', '1', 2, 2, 1)));
    assert.equal(checkLinearizable([firstWrite, lost, read], model).result, 'ok');
  });

  test('a failed write that applied: later reads see it', () => {
    const read = op(1, 40, 50, get('x'), got(3, kv('x', '2', 3, 2, 2)));
    assert.equal(checkLinearizable([firstWrite, lost, read], model).result, 'ok');
  });

  test('once observed, a failed write stays applied', () => {
    const seen = op(1, 40, 50, get('x'), got(3, kv('x', '2', 3, 2, 2)));
    const gone = op(1, 60, 70, get('x'), got(2, kv('x', '1', 2, 2, 1)));
    assert.equal(checkLinearizable([firstWrite, lost, seen, gone], model).result, 'illegal');
  });

  test('a failed write cannot take effect before it was called', () => {
    const early = op(1, 12, 15, get('x'), got(3, kv('x', '2', 3, 2, 2)));
    assert.equal(checkLinearizable([firstWrite, lost, early], model).result, 'illegal');
  });
});

describe('checkLinearizable: limits and misuse', () => {
  test('timeout gives unknown', () => {
    const res = checkLinearizable([firstWrite], model, { timeoutMs: 0 });
    assert.equal(res.result, 'unknown');
    assert.ok(!res.ok && res.unknown);
  });

  test('a return before its call or an unknown output with a finite return is rejected', () => {
    assert.throws(() => checkLinearizable([op(0, 10, 5, get('x'), got(1))], model), LincheckError);
    assert.throws(() => checkLinearizable([op(0, 0, 5, put('x', '1'), undefined)], model), /unknown output/);
  });

  test('stats count operations and steps', () => {
    const res = checkLinearizable([firstWrite, op(1, 20, 30, get('x'), got(2, kv('x', '1', 2, 2, 1)))], model);
    assert.equal(res.result, 'ok');
    assert.equal(res.stats.operations, 2);
    assert.equal(res.stats.steps, 2);
  });
});
