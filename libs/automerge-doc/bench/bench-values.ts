// Keys and values for the 100 B-value benches (peer-bench.ts, cut-bench.ts):
// etcd-like key names, values cut from one random pool, each made unique by
// a counter in its first 4 bytes.
import { randomFillSync } from 'node:crypto';

export const valueBytes = 100;

const pool = randomFillSync(new Uint8Array(64 * 1024));
let counter = 0;

export function nextValue(): Uint8Array {
  const start = (counter * 131) % (pool.length - valueBytes);
  const v = pool.slice(start, start + valueBytes);
  new DataView(v.buffer).setUint32(0, counter++);
  return v;
}

export const keyOf = (i: number): string => `/registry/pods/default/pod-${String(i).padStart(6, '0')}`;
