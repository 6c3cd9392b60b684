import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLineSplitter, pendingLineCharsMax } from './line-splitter.js';

describe('line splitter', () => {
  test('line splitter - joins partial chunks and splits several lines in one chunk', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push('hal');
    splitter.push(Buffer.from('f\r\nsecond\nthi'));
    splitter.push('rd\n');
    splitter.push('no newline');
    splitter.end();
    assert.deepEqual(lines, ['half', 'second', 'third', 'no newline']);
  });

  test('line splitter - keeps a multi-byte character cut between chunks', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    const bytes = Buffer.from('é\n');
    splitter.push(bytes.subarray(0, 1));
    splitter.push(bytes.subarray(1));
    assert.deepEqual(lines, ['é']);
  });

  test('line splitter - flushes a line that never ends once it is too long', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter((line) => lines.push(line));
    splitter.push('x'.repeat(pendingLineCharsMax + 1));
    assert.equal(lines.length, 1);
  });
});
