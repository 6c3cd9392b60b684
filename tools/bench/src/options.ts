// Command line of the load generator, in the spirit of etcd's `benchmark`:
//   eckd-bench --endpoints 127.0.0.1:2379 --conns 8 --clients 32 put --total 20000 --val-size 256
//   eckd-bench --endpoints ... range KEY --consistency s --total 20000
export type Workload = 'put' | 'range';

export interface BenchOptions {
  endpoints: string[];
  conns: number;
  clients: number;
  workload: Workload;
  total: number;
  keySize: number;
  valSize: number;
  keySpaceSize: number;
  sequentialKeys: boolean;
  rangeKey: string;
  rangeEnd: string;
  consistency: 'l' | 's';
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
  keySize: 8,
  valSize: 8,
  keySpaceSize: 1,
  sequentialKeys: false,
  rangeKey: '',
  rangeEnd: '',
  consistency: 'l',
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
      case 'key-size': o.keySize = int(name, value()); break;
      case 'val-size': o.valSize = int(name, value()); break;
      case 'key-space-size': o.keySpaceSize = int(name, value()); break;
      case 'sequential-keys': o.sequentialKeys = true; break;
      case 'consistency': o.consistency = value() === 's' ? 's' : 'l'; break;
      case 'json': o.json = true; break;
      default: throw new BenchUsageError(`unknown flag --${name}`);
    }
  }
  const [workload, key, end] = positional;
  if (workload !== 'put' && workload !== 'range') throw new BenchUsageError('workload must be put or range');
  o.workload = workload;
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
