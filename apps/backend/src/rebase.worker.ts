// Builds the rebase change of a cut (history-cut.ts) away from the apply
// loop's thread: O(live keys) Automerge writes that would otherwise stall
// every write for seconds at 100k keys.
import { parentPort } from 'node:worker_threads';
import { rebaseChangeOf } from '@eckd/automerge-doc';
import type { PackedState } from './history-cut.js';

parentPort!.on('message', (packed: PackedState) => {
  try {
    const keys: string[] = [];
    const values: Uint8Array[] = [];
    const keyBytes = Buffer.from(packed.keyBytes.buffer, packed.keyBytes.byteOffset, packed.keyBytes.byteLength);
    for (let i = 0, k = 0, v = 0; i < packed.keyLengths.length; i++) {
      keys.push(keyBytes.toString('latin1', k, (k += packed.keyLengths[i]!)));
      values.push(packed.valueBytes.subarray(v, (v += packed.valueLengths[i]!)));
    }
    const { bytes, hash } = rebaseChangeOf({ keys, values, keyLeases: packed.keyLeases, leases: packed.leases });
    parentPort!.postMessage({ bytes, hash });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).message });
  }
});
