// The interpreter's pieces without servers: request encoding, answer
// normalisation, expectations and the difference finder.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firstDifference } from './compare.js';
import { encodeRequest } from './encode.js';
import { expectProblem } from './interpreter.js';
import { bytesText, normaliseOutcome, relativeRevision } from './normalise.js';

describe('encodeRequest', () => {
  test('byte fields become latin1 Buffers, markers resolve against the base', () => {
    const wire = encodeRequest({ key: 'a\xff', range_end: '\0', revision: { $rev: 2 }, limit: 3 }, 40);
    assert.deepEqual(wire['key'], Buffer.from([0x61, 0xff]));
    assert.deepEqual(wire['range_end'], Buffer.from([0]));
    assert.equal(wire['revision'], '42');
    assert.equal(wire['limit'], 3);
  });

  test('nested ops and compares, and $bytes values', () => {
    const wire = encodeRequest(
      { compare: [{ key: 'k', target: 'MOD', result: 'EQUAL', mod_revision: { $rev: -1 } }], success: [{ request_put: { key: 'k', value: { $bytes: 5, fill: 'z' } } }] },
      10,
    );
    const cmp = (wire['compare'] as Record<string, unknown>[])[0]!;
    assert.equal(cmp['mod_revision'], '9');
    assert.deepEqual(cmp['key'], Buffer.from('k'));
    const put = ((wire['success'] as Record<string, unknown>[])[0]!['request_put'] as Record<string, unknown>)!;
    assert.deepEqual(put['value'], Buffer.from('zzzzz'));
    assert.equal(cmp['target'], 'MOD');
  });
});

describe('normaliseOutcome', () => {
  const header = { cluster_id: '77', member_id: '88', revision: '105', raft_term: '2' };

  test('ids and term become placeholders, revisions relative, zeros stay', () => {
    const n = normaliseOutcome(
      {
        response: {
          header,
          kvs: [{ key: Buffer.from('a'), create_revision: '99', mod_revision: '105', version: '3', value: Buffer.from([0, 0x41]), lease: '0' }],
          responses: [{ response_txn: { header: { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' } } }],
          count: '1',
        },
      },
      100,
    );
    assert.deepEqual(n, {
      response: {
        header: { cluster_id: '<cluster>', member_id: '<member>', revision: 'B+5', raft_term: '<term>' },
        kvs: [{ key: 'a', create_revision: 'B-1', mod_revision: 'B+5', version: '3', value: '\\x00A', lease: '0' }],
        responses: [{ response_txn: { header: { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' } } }],
        count: '1',
      },
    });
  });

  test('errors keep code and details', () => {
    assert.deepEqual(normaliseOutcome({ error: { code: 11, details: 'x' } }, 5), { error: { code: 11, details: 'x' } });
  });

  test('ties: runs of equal values are ordered by key, runs keep their order', () => {
    const kv = (key: string, version: string) => ({ key: Buffer.from(key), version });
    const n = normaliseOutcome({ response: { kvs: [kv('c', '2'), kv('a', '2'), kv('b', '1'), kv('d', '3')] } }, 0, 'version');
    assert.deepEqual((n as { response: { kvs: { key: string }[] } }).response.kvs.map((k) => k.key), ['a', 'c', 'b', 'd']);
  });

  test('helpers', () => {
    assert.equal(relativeRevision('0', 10), '0');
    assert.equal(relativeRevision(12, 10), 'B+2');
    assert.match(bytesText(Buffer.alloc(1000)), /^<1000 bytes sha256:[0-9a-f]{12}>$/);
  });
});

describe('expectProblem', () => {
  test('errors by etcd name or by code and details', () => {
    const err = { error: { code: 3, details: 'etcdserver: key is not provided' } };
    assert.equal(expectProblem(err, { error: 'EmptyKey' }), undefined);
    assert.equal(expectProblem(err, { error: { code: 3, details: 'etcdserver: key is not provided' } }), undefined);
    assert.match(expectProblem(err, { error: 'FutureRev' })!, /expected error 11/);
    assert.match(expectProblem(err, { ok: {} })!, /expected a response/);
  });

  test('responses by recursive subset, arrays element by element', () => {
    const res = { response: { count: '2', kvs: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } };
    assert.equal(expectProblem(res, { ok: { count: '2', kvs: [{ key: 'a' }, { key: 'b' }] } }), undefined);
    assert.match(expectProblem(res, { ok: { kvs: [{ key: 'a' }] } })!, /expected 1 elements/);
    assert.match(expectProblem(res, { ok: { count: '3' } })!, /response.count: expected "3"/);
  });
});

describe('firstDifference', () => {
  test('names the first differing path', () => {
    assert.equal(firstDifference({ a: 1 }, { a: 1 }), undefined);
    assert.equal(firstDifference({ a: { b: [1, 2] } }, { a: { b: [1, 3] } }), '.a.b.1: 2 vs 3');
    assert.equal(firstDifference({ error: { code: 3 } }, { response: {} }), '.error: {"code":3} vs undefined');
  });
});
