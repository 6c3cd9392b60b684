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

export interface HeapFigures {
  heapUsed: number;
  heapTotal: number;
  /** Buffers and WebAssembly memories (the backend's Automerge heap) */
  external: number;
}

/** An eckd app's own view of its memory, from its ops listener's /metrics. */
export async function heapFigures(opsUrl: string): Promise<HeapFigures | undefined> {
  try {
    const text = await (await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
    return { heapUsed: gauge('nodejs_heap_size_used_bytes'), heapTotal: gauge('nodejs_heap_size_total_bytes'), external: gauge('nodejs_external_memory_bytes') };
  } catch {
    return undefined;
  }
}

export function formatHeap(h: HeapFigures | undefined): string {
  return h === undefined ? 'no /metrics' : `V8 heap ${megabytes(h.heapUsed)} used of ${megabytes(h.heapTotal)}, external ${megabytes(h.external)}`;
}
