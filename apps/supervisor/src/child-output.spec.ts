import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childOutputLine } from './child-output.js';

test('child output - an app\'s JSON line keeps its fields, the child\'s name first', () => {
  const line = childOutputLine('node2/backend', 'stdout', '{"time":"t","level":"info","service":"backend","msg":"ready"}');
  assert.equal(line, '{"child":"node2/backend","time":"t","level":"info","service":"backend","msg":"ready"}');
});

test('child output - any other line becomes the msg of a JSON line with its stream', () => {
  for (const raw of ['[1] 2026/12/05 19:00:00 [INF] Server is ready', '{"not json', '[1,2]', '']) {
    const parsed = JSON.parse(childOutputLine('nats', 'stderr', raw)) as Record<string, unknown>;
    assert.equal(parsed['child'], 'nats');
    assert.equal(parsed['stream'], 'stderr');
    assert.equal(parsed['level'], 'info');
    assert.equal(parsed['msg'], raw);
    assert.ok(!Number.isNaN(Date.parse(String(parsed['time']))));
  }
});
