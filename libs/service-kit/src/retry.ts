// Retrying an operation that may fail for a while (a peer not up yet,
// storage down): exponential backoff with a cap, bounded by attempts and/or
// a deadline, stopped by an abort signal. Retrying for ever is the caller's
// explicit choice (`attemptsMax: Infinity`), with its reason beside the call.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in all, the first included; `Infinity` only where giving up is worse than waiting (say why). */
  attemptsMax: number;
  /** No attempt starts later than this after the first one. */
  deadlineMs?: number;
  /** The wait after the first failure; each further failure multiplies it by `factor`, up to `delayMaxMs`. */
  delayInitialMs: number;
  delayMaxMs: number;
  /** Default 2. */
  factor?: number;
  /** Aborting ends the waiting at once; `retry` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Whether an error is worth another attempt; default every error. */
  retryable?: (err: unknown) => boolean;
  /** Called after each failed attempt that will be retried (to log it). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `attempt` (with its number, from 1) until it resolves, and returns
 * its result. Rejects with the last attempt's error once the attempts or the
 * deadline are used up or the error is not retryable.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  checkRetryOptions(opts);
  const startedMs = Date.now();
  for (let n = 1; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= opts.attemptsMax || !(opts.retryable?.(err) ?? true)) throw err;
      const leftMs = opts.deadlineMs === undefined ? Infinity : startedMs + opts.deadlineMs - Date.now();
      if (leftMs <= 0) throw err;
      const delayMs = Math.min(retryDelayMs(opts, n), leftMs);
      opts.onRetry?.(err, n, delayMs);
      await wait(delayMs, opts.signal);
    }
  }
}

async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    // timers/promises rejects with its own AbortError; the caller gave a reason.
    signal?.throwIfAborted();
    throw err;
  }
}

/** The wait after failed attempt `n` (from 1). */
export function retryDelayMs(opts: Pick<RetryOptions, 'delayInitialMs' | 'delayMaxMs' | 'factor'>, n: number): number {
  return Math.min(opts.delayMaxMs, opts.delayInitialMs * (opts.factor ?? 2) ** (n - 1));
}

function checkRetryOptions(opts: RetryOptions): void {
  if (!(opts.attemptsMax >= 1)) throw new RangeError('service-kit: retry needs attemptsMax >= 1');
  if (!(opts.delayInitialMs >= 0 && opts.delayMaxMs >= opts.delayInitialMs)) throw new RangeError('service-kit: retry needs 0 <= delayInitialMs <= delayMaxMs');
  if (!((opts.factor ?? 2) >= 1)) throw new RangeError('service-kit: retry needs factor >= 1');
  if (opts.deadlineMs !== undefined && !(opts.deadlineMs >= 0)) throw new RangeError('service-kit: retry needs deadlineMs >= 0');
}
