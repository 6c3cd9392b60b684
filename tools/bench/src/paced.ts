// Open-loop load at a fixed rate, as etcd's `benchmark watch-latency
// --put-rate` does: request n is sent at n / rate seconds whether or not the
// earlier ones have returned (at most `clients` in flight), so latency is
// measured on a system that is not saturated by the generator itself.
import type { Connection } from './clients.js';
import type { Request } from './loops.js';
import type { BenchOptions } from './options.js';
import type { RunStats } from './stats.js';
import { summarize } from './stats.js';

export async function runPaced(o: BenchOptions, ratePerSecond: number, conns: Connection[], label: string, request: Request): Promise<RunStats> {
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  const total = o.durationMs === undefined ? o.total : Math.floor((o.durationMs / 1000) * ratePerSecond);
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (sent === total && inFlight === 0) resolve();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerSecond) + 1);
      while (sent < due && inFlight < o.clients) {
        const n = sent++;
        inFlight++;
        const t0 = performance.now();
        request(conns[n % conns.length]!, n, (err) => {
          inFlight--;
          if (err) errors++;
          else latencies.push(performance.now() - t0);
          finish();
        });
      }
      if (sent < total) setTimeout(tick, Math.max(0, started + (sent * 1000) / ratePerSecond - performance.now()));
      else finish();
    };
    tick();
  });
  return summarize(label, latencies, errors, (performance.now() - started) / 1000);
}
