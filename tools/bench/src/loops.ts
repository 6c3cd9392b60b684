// Closed-loop load: `clients` loops, each sends its next request when the
// last one returns, until `total` requests were sent or the duration is up.
import type { Connection } from './clients.js';
import type { BenchOptions } from './options.js';
import type { RunStats } from './stats.js';
import { summarize } from './stats.js';

/** One request: calls `done` once with its error, if any. */
export type Request = (conn: Connection, n: number, done: (err: Error | null) => void) => void;

export async function runLoops(o: BenchOptions, conns: Connection[], label: string, request: Request): Promise<RunStats> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const until = o.durationMs === undefined ? Infinity : started + o.durationMs;
  const more = () => (o.durationMs === undefined ? issued < o.total : performance.now() < until);
  const loop = (client: number) =>
    new Promise<void>((resolve) => {
      const conn = conns[client % conns.length]!;
      const next = () => {
        if (!more()) return resolve();
        const n = issued++;
        const t0 = performance.now();
        request(conn, n, (err) => {
          if (err) errors++;
          else latencies.push(performance.now() - t0);
          next();
        });
      };
      next();
    });
  await Promise.all(Array.from({ length: o.clients }, (_, i) => loop(i)));
  return summarize(label, latencies, errors, (performance.now() - started) / 1000);
}
