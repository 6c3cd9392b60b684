import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const pollIntervalMs = 50;

/** Calls `check` until it returns true or `timeoutMs` passes; `describe` names what was awaited. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`testing: timed out after ${timeoutMs} ms waiting for ${describe}${why}`);
    }
    await sleep(pollIntervalMs);
  }
}

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
