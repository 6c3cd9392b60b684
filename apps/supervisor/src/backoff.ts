// When to restart a child that died: exponential backoff that forgets past
// crashes once the child has stayed up long enough. Pure: the caller owns the
// clock and the timers.

export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** A run at least this long counts as healthy and resets the delay. */
  readonly resetAfterUpMs: number;
}

export const defaultBackoffPolicy: BackoffPolicy = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  resetAfterUpMs: 60_000,
});

export interface BackoffState {
  /** Crashes in a row without a healthy run in between. */
  readonly consecutiveFailures: number;
}

export const initialBackoffState: BackoffState = Object.freeze({ consecutiveFailures: 0 });

export function checkBackoffPolicy(policy: BackoffPolicy): void {
  if (!(policy.initialDelayMs > 0 && policy.maxDelayMs >= policy.initialDelayMs)) {
    throw new RangeError('supervisor: backoff needs 0 < initialDelayMs <= maxDelayMs');
  }
  if (!(policy.factor >= 1 && policy.resetAfterUpMs >= 0)) {
    throw new RangeError('supervisor: backoff needs factor >= 1 and resetAfterUpMs >= 0');
  }
}

/**
 * The state after a child exits having run for `uptimeMs`, and how long to
 * wait before starting it again.
 */
export function nextRestart(
  policy: BackoffPolicy,
  state: BackoffState,
  uptimeMs: number,
): { state: BackoffState; delayMs: number } {
  if (uptimeMs < 0 || !Number.isFinite(uptimeMs)) throw new RangeError(`supervisor: bad uptime ${uptimeMs}`);
  const failures = uptimeMs >= policy.resetAfterUpMs ? 1 : state.consecutiveFailures + 1;
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (failures - 1));
  return { state: { consecutiveFailures: failures }, delayMs };
}
