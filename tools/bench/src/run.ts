// Runs one workload against an endpoint list.
import { authenticate, connect } from './clients.js';
import type { BenchOptions } from './options.js';
import type { RunStats } from './stats.js';
import { leaseKeepAliveWorkload, lockWorkload, putWorkload, rangeWorkload, txnCasWorkload, watchWorkload } from './workloads.js';

export async function runWorkload(o: BenchOptions): Promise<RunStats[]> {
  const conns = connect(o.endpoints, o.conns);
  try {
    if (o.user !== undefined) await authenticate(conns, o.user);
    switch (o.workload) {
      case 'put':
        return [await putWorkload(o, conns)];
      case 'range':
        return [await rangeWorkload(o, conns)];
      case 'txn-cas':
        return [await txnCasWorkload(o, conns)];
      case 'watch': {
        const { puts, delivery } = await watchWorkload(o, conns);
        return [puts, delivery];
      }
      case 'lease-keepalive':
        return [await leaseKeepAliveWorkload(o, conns)];
      case 'lock':
        return [await lockWorkload(o, conns)];
      default:
        throw new Error(`bench: unknown workload ${String(o.workload)}`);
    }
  } finally {
    for (const c of conns) c.close();
  }
}

