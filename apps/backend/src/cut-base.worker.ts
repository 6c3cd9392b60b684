// The coordinated cut's build (peers/cut-switch.ts, ARCHITECTURE.md §8.10)
// away from the apply loop's thread: the tombstone floor, the base at H
// (O(live keys) Automerge writes, seconds at 100,000 keys) and the
// translator, which this worker keeps for the later translations of the same
// cut (each chain's scratch document holds its earlier translations). One
// worker per switch, ended when the old lineage is let go.
import { parentPort } from 'node:worker_threads';
import { CutTranslator, buildCutBase, tombstoneFloorOf } from '@eckd/automerge-doc';
import type { CutState } from '@eckd/automerge-doc';
import type { CutWorkerReply, CutWorkerRequest, PackedCutState } from './peers/cut-switch.js';

let translator: CutTranslator | undefined;

parentPort!.on('message', (request: CutWorkerRequest) => {
  let reply: CutWorkerReply;
  try {
    if (request.op === 'build') {
      if (translator) throw new Error('the cut worker built its base already');
      const state = unpackCutState(request.state);
      const base = buildCutBase(state, request.identity, tombstoneFloorOf(state, new Set(request.floorExcluded)));
      translator = new CutTranslator(base.bytes, base.lineage, new Map(request.seqsInCut));
      reply = { base: base.bytes, lineage: base.lineage, translations: request.changes.map((c) => translator!.translate(c)) };
    } else {
      if (!translator) throw new Error('the cut worker has no base to translate onto');
      reply = { translations: request.changes.map((c) => translator!.translate(c)) };
    }
  } catch (err) {
    reply = { error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});

function unpackCutState(packed: PackedCutState): CutState {
  const keys = Buffer.from(packed.keyBytes.buffer, packed.keyBytes.byteOffset, packed.keyBytes.byteLength);
  const kv: CutState['kv'] = [];
  for (let i = 0, k = 0, v = 0; i < packed.keyLengths.length; i++) {
    kv.push({ key: keys.toString('latin1', k, (k += packed.keyLengths[i]!)), stored: packed.valueBytes.subarray(v, (v += packed.valueLengths[i]!)) });
  }
  return { kv, leases: packed.leases, root: packed.root };
}
