// The coordinated cut's build (peers/cut-switch.ts, ARCHITECTURE.md §8.10)
// away from the apply loop's thread: a copy of the document at the cut point
// H loaded from the changes inside H, its state and the sequences and
// origins inside H read as it is, the tombstone floor, the base at H
// (O(live keys) Automerge writes, seconds at 100,000 keys) and the
// translator, which this worker keeps for the later translations of the same
// cut (each chain's scratch document holds its earlier translations). One
// worker per switch, ended when the old lineage is let go.
import { parentPort } from 'node:worker_threads';
import { CutTranslator, buildCutBase, changeHeaderOf, cutRecordOf, loadKvDocument, tombstoneFloorOf, withOriginWatermarks } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import type { CutWorkerReply, CutWorkerRequest } from './peers/cut-switch.js';

let translator: CutTranslator | undefined;

parentPort!.on('message', (request: CutWorkerRequest) => {
  let reply: CutWorkerReply;
  try {
    if (request.op === 'build') {
      if (translator) throw new Error('the cut worker built its base already');
      reply = build(request);
    } else {
      if (!translator) throw new Error('the cut worker has no base to translate onto');
      reply = { translations: request.changes.map((c) => translator!.translate(c)) };
    }
  } catch (err) {
    reply = { error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});

function build(request: Extract<CutWorkerRequest, { op: 'build' }>): CutWorkerReply {
  const steps: Record<string, number> = {};
  let at = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - at);
    at = now;
  };
  const doc = loadInside(request);
  step('loadMs');
  let state;
  let seqsInCut: [string, number][];
  try {
    const held = doc.heads();
    if (held.length !== request.heads.length || !held.every((h) => request.heads.includes(h))) throw new Error('the changes inside the cut point do not make a document at the cut point');
    const record = cutRecordOf(doc, request.heads);
    step('recordMs');
    if (record.seqsInCut.size > request.cutActorsMax) {
      return { reason: 'too-many-actors', error: `${record.seqsInCut.size} actors inside the cut (a cut record carries at most ${request.cutActorsMax})` };
    }
    state = withOriginWatermarks(doc.cutStateAt(request.heads), record.origins);
    step('stateMs');
    seqsInCut = [...record.seqsInCut].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  } finally {
    doc.free();
  }
  const cut = buildCutBase(state, request.identity, tombstoneFloorOf(state, new Set(request.floorExcluded)));
  step('baseMs');
  translator = new CutTranslator(cut.bytes, cut.lineage, new Map(seqsInCut));
  const translations = request.outside.map((c) => translator!.translate(c));
  step('translateMs');
  return { base: cut.bytes, lineage: cut.lineage, translations, seqsInCut, steps: { ...steps, outside: request.outside.length } };
}

/** The copy at H from the changes inside H (the history less those outside); the history is let go here, so the worker's heap holds it only while the copy is made. */
function loadInside(request: Extract<CutWorkerRequest, { op: 'build' }>): KvDocument {
  const outside = new Set(request.outside.map((c) => changeHeaderOf(c).hash));
  const inside = outside.size === 0 ? request.history : request.history.filter((c) => !outside.has(changeHeaderOf(c).hash));
  request.history = [];
  const [base, ...changes] = inside;
  if (base === undefined) throw new Error('the cut worker was given no history');
  return loadKvDocument({ base, changes });
}
