// Costs of the coordinated cut's building blocks (docs/ARCHITECTURE.md §8.10)
// at 100,000 keys of 100 B: the state at H, the base, the sequences inside
// the cut, loading the base, and translating 100 changes of 100 puts made
// after H. One run per process (clean heap and wasm memory); run it a few times.
//
//   node --expose-gc --import tsx --conditions=@eckd/source libs/automerge-doc/bench/cut-bench.ts
import { decodeChange } from '@automerge/automerge';
import { CutTranslator, HybridClock, baseChangeHash, buildCutBase, createKvDocument, loadKvDocument, cutRecordOf } from '../src/index.js';
import { keyOf, nextValue } from './bench-values.js';

const keysTotal = 100_000;
const buildPutsPerChange = 1_000;
const laterChanges = 100;
const putsPerLaterChange = 100;


function timeMs<T>(run: () => T): [T, number] {
  const t0 = performance.now();
  const result = run();
  return [result, Math.round(performance.now() - t0)];
}

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
}

const rssStart = rssMb();
const clock = new HybridClock(1n);
const doc = createKvDocument();
for (let i = 0; i < keysTotal; i++) {
  // 1% of the keys deleted (tombstones the base keeps)
  if (i % 100 === 99) doc.deleteTagged(keyOf(i), clock.next(), BigInt(i + 1));
  else doc.putTagged(keyOf(i), nextValue(), '0', clock.next(), BigInt(i + 1));
  if ((i + 1) % buildPutsPerChange === 0) doc.commit({ member: 1n, revision: BigInt(i + 1) });
}
const cutHeads = doc.heads();
const rssDoc = rssMb();
for (let c = 0; c < laterChanges; c++) {
  for (let p = 0; p < putsPerLaterChange; p++) doc.putTagged(keyOf((c * 7919 + p * 104729) % keysTotal), nextValue(), '0', clock.next(), BigInt(keysTotal + c + 1));
  doc.commit({ member: 1n, revision: BigInt(keysTotal + c + 1) });
}

const [state, stateMs] = timeMs(() => doc.cutStateAt(cutHeads));
const [base, baseMs] = timeMs(() => buildCutBase(state, { cut: 1, previousLineage: baseChangeHash }, 0n));
const [seqs, seqsMs] = timeMs(() => cutRecordOf(doc, cutHeads).seqsInCut);
const later = doc.changesSince(cutHeads);
const rssBeforeNext = rssMb();
const [next, loadMs] = timeMs(() => loadKvDocument({ base: base.bytes }));
const rssNext = rssMb();
const [translator, translatorMs] = timeMs(() => new CutTranslator(base.bytes, base.lineage, seqs));
const [translated, translateMs] = timeMs(() => later.map((c) => translator.translate(c).bytes));
const rssTranslator = rssMb();
// A loaded tagged document scans its keys once for tombstones at the first keys()/size()/peer apply (§8.2).
const [, firstScanMs] = timeMs(() => next.keys());
const [, applyMs] = timeMs(() => next.applyPeerChanges(translated));
const [, decodeMs] = timeMs(() => later.forEach((c) => decodeChange(c)));

console.log(
  JSON.stringify({
    keys: keysTotal,
    docMb: rssDoc - rssStart,
    cutStateAtMs: stateMs,
    buildCutBaseMs: baseMs,
    baseBytes: base.bytes.length,
    cutRecordOfMs: seqsMs,
    loadBaseMs: loadMs,
    baseDocMb: rssNext - rssBeforeNext,
    translatorLoadMs: translatorMs,
    translate100x100Ms: translateMs,
    translatorMb: rssTranslator - rssNext,
    firstScanMs,
    applyTranslationsMs: applyMs,
    decodeOldChangesMs: decodeMs,
  }),
);
