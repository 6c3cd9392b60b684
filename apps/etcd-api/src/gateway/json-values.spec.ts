// Splitting a streaming request body into its JSON values.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonValueSplitter } from './json-values.js';
import { GatewayInputError } from './proto-json.js';

describe('JSON value splitter', () => {
  test('values split across chunks, braces inside strings, whitespace between', () => {
    const s = new JsonValueSplitter(1024);
    assert.deepEqual(s.push('{"a":"}{"'), []);
    assert.deepEqual(s.push(',"b":{"c":1}}\n {"d":"\\"}"}{'), [{ a: '}{', b: { c: 1 } }, { d: '"}' }]);
    assert.deepEqual(s.push('}'), [{}]);
    s.end();
  });

  test('a value past the limit, a non-object and a body ending inside a value are refused', () => {
    assert.throws(() => new JsonValueSplitter(8).push('{"key":"0123456789"'), /request is too large/);
    assert.throws(() => new JsonValueSplitter(8).push('[1]'), GatewayInputError);
    const s = new JsonValueSplitter(64);
    s.push('{"a":');
    assert.throws(() => s.end(), GatewayInputError);
  });
});
