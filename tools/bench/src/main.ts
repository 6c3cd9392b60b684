// eckd-bench: a load generator for any etcd endpoint list (eckd or etcd),
// `side-by-side`, which starts both here and compares them, and `cluster`,
// which starts several eckd members here and measures replication, and
// `metrics-overhead`, put throughput of one node with metrics on and off.
import { runClusterBench } from './cluster.js';
import { runFrontendAb } from './frontend-ab.js';
import { runMetricsOverhead } from './metrics-overhead.js';
import { BenchUsageError, parseBenchArgs, parseClusterArgs } from './options.js';
import { runWorkload } from './run.js';
import { runSideBySide } from './side-by-side.js';
import { formatTable } from './stats.js';

try {
  const argv = process.argv.slice(2);
  if (argv[0] === 'side-by-side') {
    const valueOf = (flag: string) => {
      const at = argv.indexOf(flag);
      return at >= 0 ? argv[at + 1] : undefined;
    };
    await runSideBySide({ quick: argv.includes('--quick'), only: valueOf('--only'), profileFrontendDir: valueOf('--profile-frontend') });
  } else if (argv[0] === 'frontend-ab') {
    const at = argv.indexOf('--baseline');
    const baseline = at >= 0 ? argv[at + 1] : undefined;
    if (baseline === undefined) throw new BenchUsageError('frontend-ab needs --baseline DIR (a built copy of the repository)');
    const current = argv.indexOf('--current');
    const divisor = argv.indexOf('--divide');
    const rounds = argv.indexOf('--rounds');
    const only = argv.indexOf('--only');
    await runFrontendAb({ baseline, current: current >= 0 ? argv[current + 1] : undefined, rounds: rounds >= 0 ? Number(argv[rounds + 1]) : 3, only: only >= 0 ? argv[only + 1]?.split(',') : undefined, divisor: divisor >= 0 ? Number(argv[divisor + 1]) : 1 });
  } else if (argv[0] === 'metrics-overhead') {
    const flag = (name: string, fallback: number) => {
      const at = argv.indexOf(`--${name}`);
      const value = at === -1 ? fallback : Number(argv[at + 1]);
      if (!Number.isInteger(value) || value < 1) throw new BenchUsageError(`--${name} must be a positive integer`);
      return value;
    };
    await runMetricsOverhead({ rounds: flag('rounds', 3), total: flag('total', 10_000) });
  } else if (argv[0] === 'cluster') {
    await runClusterBench(parseClusterArgs(argv.slice(1)));
  } else {
    const o = parseBenchArgs(argv);
    for (const stats of await runWorkload(o)) console.log(o.json ? JSON.stringify({ ...stats, options: o }) : formatTable(stats));
  }
  process.exit(0);
} catch (err) {
  console.error(err instanceof BenchUsageError ? `eckd-bench: ${err.message}` : err);
  process.exit(err instanceof BenchUsageError ? 2 : 1);
}
