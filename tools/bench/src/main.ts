// eckd-bench: a load generator for any etcd endpoint list (eckd or etcd),
// `side-by-side`, which starts both here and compares them, `frontend-ab`,
// which compares two builds of the frontend on one node, `cluster`,
// which starts several eckd members here and measures replication,
// `scale-out`, serializable reads of one node with 1, 2, 4 frontends, and
// `metrics-overhead`, put throughput of one node with metrics on and off,
// `append-history`, the persister's append by the history stored, and
// `cluster-cut`, what a coordinated history cut costs three members.
import { runAppendHistory } from './append-history.js';
import { runClusterBench } from './cluster.js';
import { parseClusterCutArgs, runClusterCutBench } from './cluster-cut.js';
import { runFrontendAb } from './frontend-ab.js';
import { runMetricsOverhead } from './metrics-overhead.js';
import { BenchUsageError, parseBenchArgs, parseClusterArgs } from './options.js';
import { runWorkload } from './run.js';
import { runScaleOut } from './scale-out.js';
import { runSideBySide } from './side-by-side.js';
import { formatTable } from './stats.js';

try {
  const argv = process.argv.slice(2);
  /** The value after `--name`, if given. */
  const valueOf = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const positiveInt = (name: string, fallback: number) => {
    const raw = valueOf(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new BenchUsageError(`--${name} must be a positive integer`);
    return value;
  };
  if (argv[0] === 'side-by-side') {
    await runSideBySide({
      divisor: argv.includes('--quick') ? 20 : positiveInt('divide', 1),
      rounds: positiveInt('rounds', 1),
      only: valueOf('only')?.split(','),
      profileFrontendDir: valueOf('profile-frontend'),
    });
  } else if (argv[0] === 'frontend-ab') {
    const baseline = valueOf('baseline');
    if (baseline === undefined) throw new BenchUsageError('frontend-ab needs --baseline DIR (a built copy of the repository)');
    await runFrontendAb({ baseline, current: valueOf('current'), rounds: positiveInt('rounds', 3), only: valueOf('only')?.split(','), divisor: positiveInt('divide', 1) });
  } else if (argv[0] === 'metrics-overhead') {
    await runMetricsOverhead({ rounds: positiveInt('rounds', 3), total: positiveInt('total', 10_000) });
  } else if (argv[0] === 'scale-out') {
    const counts = (valueOf('frontends') ?? '1,2,4').split(',').map(Number);
    if (!counts.every((n) => Number.isInteger(n) && n >= 1)) throw new BenchUsageError('--frontends must list positive integers, e.g. 1,2,4');
    await runScaleOut({ frontends: counts, total: positiveInt('total', 40_000) });
  } else if (argv[0] === 'append-history') {
    const rows = (valueOf('rows') ?? '0,100000,300000').split(',').map(Number);
    if (!rows.every((n) => Number.isInteger(n) && n >= 0)) throw new BenchUsageError('--rows must list integers ≥ 0, e.g. 0,100000,300000');
    await runAppendHistory({ rows, appends: positiveInt('appends', 500) });
  } else if (argv[0] === 'cluster-cut') {
    await runClusterCutBench(parseClusterCutArgs(argv.slice(1)));
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
