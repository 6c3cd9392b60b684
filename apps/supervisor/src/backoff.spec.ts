import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBackoffPolicy, defaultBackoffPolicy, initialBackoffState, nextRestart } from './backoff.js';

describe('backoff', () => {
  test('backoff - delays double from 0.5 s up to 30 s while the child keeps crashing', () => {
    let state = initialBackoffState;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const next = nextRestart(defaultBackoffPolicy, state, 100);
      delays.push(next.delayMs);
      state = next.state;
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  test('backoff - a run of 60 s or more resets the delay', () => {
    let state = initialBackoffState;
    for (let i = 0; i < 5; i++) state = nextRestart(defaultBackoffPolicy, state, 10).state;
    assert.equal(nextRestart(defaultBackoffPolicy, state, 59_999).delayMs, 16000);
    const afterHealthy = nextRestart(defaultBackoffPolicy, state, 60_000);
    assert.equal(afterHealthy.delayMs, 500);
    assert.equal(afterHealthy.state.consecutiveFailures, 1);
  });

  test('backoff - rejects bad policies and uptimes', () => {
    assert.throws(() => checkBackoffPolicy({ ...defaultBackoffPolicy, initialDelayMs: 0 }), RangeError);
    assert.throws(() => checkBackoffPolicy({ ...defaultBackoffPolicy, maxDelayMs: 1 }), RangeError);
    assert.throws(() => checkBackoffPolicy({ ...defaultBackoffPolicy, factor: 0.5 }), RangeError);
    assert.throws(() => nextRestart(defaultBackoffPolicy, initialBackoffState, -1), RangeError);
    assert.throws(() => nextRestart(defaultBackoffPolicy, initialBackoffState, Number.NaN), RangeError);
  });
});
