// Latency statistics of one run.
export interface RunStats {
  workload: string;
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export function summarize(workload: string, latenciesMs: number[], errors: number, seconds: number): RunStats {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return {
    workload,
    requests: latenciesMs.length,
    errors,
    seconds,
    throughput: latenciesMs.length / seconds,
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1]! : 0, mean },
  };
}

export function formatTable(s: RunStats): string {
  const f = (n: number) => n.toFixed(2);
  return [
    `workload     ${s.workload}`,
    `requests     ${s.requests} (${s.errors} errors) in ${s.seconds.toFixed(2)} s`,
    `throughput   ${s.throughput.toFixed(0)} req/s`,
    `latency ms   p50 ${f(s.latencyMs.p50)}  p90 ${f(s.latencyMs.p90)}  p99 ${f(s.latencyMs.p99)}  max ${f(s.latencyMs.max)}  mean ${f(s.latencyMs.mean)}`,
  ].join('\n');
}

/** One latency sample, at `atMs` from the run's start. */
export interface TimedSample {
  atMs: number;
  ms: number;
}

/** p50/p99/max per window of `windowMs` (by the sample's time), so a figure that grows over the run shows. */
export function summarizeWindows(label: string, samples: readonly TimedSample[], windowMs: number): RunStats[] {
  const windows: number[][] = [];
  for (const s of samples) (windows[Math.floor(s.atMs / windowMs)] ??= []).push(s.ms);
  return Array.from(windows, (w, i) => summarize(`${label} ${(i * windowMs) / 1000}-${((i + 1) * windowMs) / 1000} s`, w ?? [], 0, windowMs / 1000));
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
