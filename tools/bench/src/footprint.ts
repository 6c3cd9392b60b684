// What a server holds and how fast it comes back: resident memory of its
// processes after a load (read from /proc), and the wall time from a
// restart until a linearizable read answers.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, encodeRequest, paths } from './clients.js';

/** Resident bytes of `pid` (VmRSS), or undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size of the Postgres server processes serving `database`
 * (their titles read `postgres: <cluster>: <user> <database> <client> ...`).
 * PSS, not RSS: those processes share the server's buffers, which RSS would
 * count once per connection.
 */
export function postgresBackendBytes(database: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!title.startsWith('postgres: ') || !title.split(' ').includes(database)) continue;
      const kb = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // the process ended while it was read
    }
  }
  return total;
}

/** Retries a linearizable Range of `key` on `endpoint` until one answers; resolves with the time it did. */
export async function firstLinearizableRead(endpoint: string, key: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const request = encodeRequest('RangeRequest', { key: Buffer.from(key) });
  for (;;) {
    const [conn] = connect([endpoint], 1);
    try {
      await new Promise<void>((resolve, reject) => conn!.unary(paths.range, request, (err) => (err ? reject(err) : resolve())));
      return Date.now();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`bench: no linearizable read on ${endpoint} within ${timeoutMs} ms`, { cause: err });
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      conn!.close();
    }
  }
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}
