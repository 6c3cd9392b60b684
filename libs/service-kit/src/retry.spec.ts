import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { retry, retryDelayMs } from './retry.js';

const fast = { delayInitialMs: 1, delayMaxMs: 4 };

describe('retry', () => {
  test('returns the first success, after failures', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (n) => {
        if (n < 3) throw new Error(`fail ${n}`);
        return n;
      },
      { ...fast, attemptsMax: 5, onRetry: (_err, n) => seen.push(n) },
    );
    assert.equal(result, 3);
    assert.deepEqual(seen, [1, 2]);
  });

  test('gives up after attemptsMax with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      retry(async (n) => {
        calls++;
        throw new Error(`fail ${n}`);
      }, { ...fast, attemptsMax: 3 }),
      /fail 3/,
    );
    assert.equal(calls, 3);
  });

  test('gives up at the deadline', async () => {
    const startedMs = Date.now();
    await assert.rejects(
      retry(async () => {
        throw new Error('down');
      }, { attemptsMax: Infinity, deadlineMs: 60, delayInitialMs: 10, delayMaxMs: 10 }),
      /down/,
    );
    const tookMs = Date.now() - startedMs;
    assert.ok(tookMs >= 55 && tookMs < 1_000, `${tookMs} ms`);
  });

  test('an error that is not retryable is thrown at once', async () => {
    let calls = 0;
    const fatal = new Error('fatal');
    await assert.rejects(
      retry(async () => {
        calls++;
        throw fatal;
      }, { ...fast, attemptsMax: 10, retryable: (err) => err !== fatal }),
      /fatal/,
    );
    assert.equal(calls, 1);
  });

  test('an abort ends the wait with the signal reason', async () => {
    const controller = new AbortController();
    const done = retry(async () => {
      throw new Error('down');
    }, { attemptsMax: Infinity, delayInitialMs: 60_000, delayMaxMs: 60_000, signal: controller.signal });
    setImmediate(() => controller.abort(new Error('stopping')));
    await assert.rejects(done, /stopping/);
  });

  test('delays grow by the factor up to the cap; bad options are refused', async () => {
    const policy = { delayInitialMs: 100, delayMaxMs: 1_000 };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n)), [100, 200, 400, 800, 1_000]);
    await assert.rejects(retry(async () => 1, { ...fast, attemptsMax: 0 }), RangeError);
    await assert.rejects(retry(async () => 1, { attemptsMax: 1, delayInitialMs: 5, delayMaxMs: 1 }), RangeError);
  });
});
