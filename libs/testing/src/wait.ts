import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { retry } from '@eckd/service-kit';

export const pollIntervalMs = 50;

/** Calls `check` until it returns true or `timeoutMs` passes; `describe` names what was awaited. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: string,
): Promise<void> {
  let lastError: unknown;
  try {
    await retry(
      async () => {
        try {
          if (await check()) return;
        } catch (err) {
          lastError = err;
        }
        throw notYet;
      },
      { attemptsMax: Infinity, deadlineMs: timeoutMs, delayInitialMs: pollIntervalMs, delayMaxMs: pollIntervalMs },
    );
  } catch {
    const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
    throw new Error(`testing: timed out after ${timeoutMs} ms waiting for ${describe}${why}`);
  }
}

const notYet = new Error('testing: not yet');

/** True once something accepts TCP connections on host:port. */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export { sleep };
