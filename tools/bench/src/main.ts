// eckd-bench: a load generator for any etcd endpoint list (eckd or etcd).
// `clients` concurrent request loops share `conns` gRPC connections, spread
// over the endpoints; each loop sends its next request when the last returns.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient } from '@eckd/etcd-proto';
import { BenchUsageError, parseBenchArgs } from './options.js';
import type { BenchOptions } from './options.js';
import { formatTable, summarize } from './stats.js';

function connect(o: BenchOptions): KVClient[] {
  const { grpcObject } = loadEtcdGrpc();
  return Array.from({ length: o.conns }, (_, i) =>
    // A local subchannel pool gives every client its own TCP connection,
    // even to the same endpoint.
    new grpcObject.etcdserverpb.KV(o.endpoints[i % o.endpoints.length]!, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    }),
  );
}

function makeRequest(o: BenchOptions, n: number): (kv: KVClient, done: (err: Error | null) => void) => void {
  if (o.workload === 'range') {
    const req = { key: Buffer.from(o.rangeKey), range_end: Buffer.from(o.rangeEnd), serializable: o.consistency === 's' };
    return (kv, done) => kv.Range(req, (err) => done(err));
  }
  const value = randomBytes(o.valSize);
  const keyFor = (i: number) => {
    const k = Buffer.alloc(o.keySize);
    const id = o.sequentialKeys ? i % o.keySpaceSize : Math.floor(Math.random() * o.keySpaceSize);
    k.writeUIntBE(id % 2 ** 48, Math.max(0, o.keySize - 6), Math.min(6, o.keySize));
    return k;
  };
  return (kv, done) => kv.Put({ key: keyFor(n), value }, (err) => done(err));
}

async function run(o: BenchOptions): Promise<void> {
  const conns = connect(o);
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const loop = (client: number) =>
    new Promise<void>((resolve) => {
      const kv = conns[client % conns.length]!;
      const next = () => {
        if (issued >= o.total) return resolve();
        const n = issued++;
        const t0 = performance.now();
        makeRequest(o, n)(kv, (err) => {
          if (err) errors++;
          else latencies.push(performance.now() - t0);
          next();
        });
      };
      next();
    });
  await Promise.all(Array.from({ length: o.clients }, (_, i) => loop(i)));
  const stats = summarize(o.workload, latencies, errors, (performance.now() - started) / 1000);
  for (const c of conns) c.close();
  console.log(o.json ? JSON.stringify({ ...stats, options: { ...o } }) : formatTable(stats));
}

try {
  await run(parseBenchArgs(process.argv.slice(2)));
} catch (err) {
  console.error(err instanceof BenchUsageError ? `eckd-bench: ${err.message}` : err);
  process.exit(err instanceof BenchUsageError ? 2 : 1);
}
