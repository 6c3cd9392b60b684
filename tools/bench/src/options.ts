// Command line of the load generator, in the spirit of etcd's `benchmark`:
//   eckd-bench --endpoints 127.0.0.1:2379 --conns 8 --clients 32 put --total 20000 --val-size 256
//   eckd-bench --endpoints ... range KEY [END] --consistency s --total 20000
//   eckd-bench --endpoints ... txn-cas --key-space-size 1000 --total 5000
//   eckd-bench --endpoints ... watch --watchers 1000 --put-rate 100 --total 1000
//   eckd-bench --endpoints ... lease-keepalive --leases 100 --total 20000
//   eckd-bench --endpoints ... lock --key-space-size 1 --total 2000     (Lock then Unlock; 1 name: every client contends)
//   eckd-bench side-by-side [--quick] [--only NAME-PART]     (starts etcd and eckd here and compares)
//   eckd-bench append-history [--rows 0,100000,300000] [--appends 500]   (the persister's append by the stored history)
//   eckd-bench cluster --members 3 --rate 1000 --duration 20s [--warmup 5s] [--total 0] [--profile DIR]   (starts a cluster here: lag, convergence, cost of peers)
export type Workload = 'put' | 'range' | 'txn-cas' | 'watch' | 'lease-keepalive' | 'lock';
export const workloads: readonly Workload[] = ['put', 'range', 'txn-cas', 'watch', 'lease-keepalive', 'lock'];

export interface BenchOptions {
  endpoints: string[];
  conns: number;
  clients: number;
  workload: Workload;
  /** requests to send; ignored when durationMs is set */
  total: number;
  durationMs: number | undefined;
  keySize: number;
  valSize: number;
  keySpaceSize: number;
  sequentialKeys: boolean;
  rangeKey: string;
  rangeEnd: string;
  consistency: 'l' | 's';
  watchers: number;
  writers: number;
  /** watch: puts per second (paced, like etcd's watch-latency --put-rate); undefined = as fast as the writers go */
  putRate: number | undefined;
  leases: number;
  /** --user name:password (etcd benchmark's): authenticate once, send the token with every request */
  user: string | undefined;
  json: boolean;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

const defaults: BenchOptions = {
  endpoints: ['127.0.0.1:2379'],
  conns: 1,
  clients: 1,
  workload: 'put',
  total: 10_000,
  durationMs: undefined,
  keySize: 8,
  valSize: 8,
  keySpaceSize: 1,
  sequentialKeys: false,
  rangeKey: '',
  rangeEnd: '',
  consistency: 'l',
  watchers: 100,
  writers: 1,
  putRate: undefined,
  leases: 10,
  user: undefined,
  json: false,
};

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...defaults };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (name) {
      case 'endpoints': o.endpoints = value().split(',').map((e) => e.replace(/^https?:\/\//, '')); break;
      case 'conns': o.conns = int(name, value()); break;
      case 'clients': o.clients = int(name, value()); break;
      case 'total': o.total = int(name, value()); break;
      case 'duration': o.durationMs = seconds(name, value()) * 1000; break;
      case 'key-size': o.keySize = int(name, value()); break;
      case 'val-size': o.valSize = int(name, value()); break;
      case 'key-space-size': o.keySpaceSize = int(name, value()); break;
      case 'sequential-keys': o.sequentialKeys = true; break;
      case 'consistency': o.consistency = value() === 's' ? 's' : 'l'; break;
      case 'watchers': o.watchers = int(name, value()); break;
      case 'writers': o.writers = int(name, value()); break;
      case 'put-rate': o.putRate = int(name, value()); break;
      case 'leases': o.leases = int(name, value()); break;
      case 'json': o.json = true; break;
      case 'user': o.user = value(); break;
      default: throw new BenchUsageError(`unknown flag --${name}`);
    }
  }
  const [workload, key, end] = positional;
  if (!workloads.includes(workload as Workload)) throw new BenchUsageError(`workload must be one of ${workloads.join(', ')}`);
  o.workload = workload as Workload;
  if (workload === 'range') {
    if (!key) throw new BenchUsageError('range needs a KEY');
    o.rangeKey = key;
    o.rangeEnd = end ?? '';
  }
  return o;
}

function int(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer`);
  return n;
}

function seconds(name: string, raw: string): number {
  const n = Number(raw.replace(/s$/, ''));
  if (!(n > 0)) throw new BenchUsageError(`--${name} must be a positive number of seconds`);
  return n;
}

export interface ClusterBenchOptions {
  members: number;
  /** total writes per second, spread round robin over the members */
  rate: number;
  durationMs: number;
  /** lag is reported per window of this length */
  windowMs: number;
  /** closed-loop puts of the throughput comparison (member 0 of the cluster, then a node alone); 0 skips it */
  throughputTotal: number;
  /** a directory for V8 CPU profiles of member 0's processes, written when they stop (`--profile DIR`) */
  profileDir?: string | undefined;
  /** paced writes at the same rate before the measured ones, not measured (`--warmup 5s`; 0: none) */
  warmupMs: number;
}

const clusterDefaults: ClusterBenchOptions = { members: 3, rate: 1000, durationMs: 20_000, windowMs: 5_000, throughputTotal: 20_000, warmupMs: 0 };

export function parseClusterArgs(argv: readonly string[]): ClusterBenchOptions {
  const o: ClusterBenchOptions = { ...clusterDefaults };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i]!.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (name) {
      case 'members': o.members = int(name, value()); break;
      case 'rate': o.rate = int(name, value()); break;
      case 'duration': o.durationMs = seconds(name, value()) * 1000; break;
      case 'window': o.windowMs = seconds(name, value()) * 1000; break;
      case 'total': o.throughputTotal = value() === '0' ? 0 : int(name, value()); break;
      case 'profile': o.profileDir = value(); break;
      case 'warmup': {
        const raw = value();
        o.warmupMs = raw.replace(/s$/, '') === '0' ? 0 : seconds(name, raw) * 1000;
        break;
      }
      default: throw new BenchUsageError(`cluster: unknown flag ${argv[i]}`);
    }
  }
  if (o.members < 2) throw new BenchUsageError('cluster: --members must be at least 2');
  return o;
}
