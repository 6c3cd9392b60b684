// Scenarios for doc-bench.ts. Each runs in its own child process (clean heap,
// clean wasm memory) against one Automerge module and returns its figures.
// Only the low-level handle is used, reached the same way the adapter does.
import { randomFillSync } from 'node:crypto';

import type * as Automerge from '@automerge/automerge';

type AutomergeModule = typeof Automerge;
type Handle = ReturnType<AutomergeModule['getBackend']>;

export type Figures = Record<string, number>;

const keysTotal = 100_000;
const valueBytes = 256;
const buildPutsPerChange = 1_000;
const measureMsMax = 5_000;
const memoryUpdatesTotal = 100_000;
const memoryKeysTotal = 1_000;
const memoryMsMax = 60_000;

const pool = randomFillSync(new Uint8Array(64 * 1024));
let counter = 0;

/** A fresh 256 B value whose first 4 bytes differ from every earlier one. */
function nextValue(size = valueBytes): Uint8Array {
  const start = (counter * 131) % (pool.length - size);
  const v = pool.slice(start, start + size);
  new DataView(v.buffer).setUint32(0, counter++);
  return v;
}

function keyOf(i: number): string {
  return `/registry/pods/default/pod-${String(i).padStart(6, '0')}`;
}

function randomKey(n: number): string {
  return keyOf(Math.floor(Math.random() * n));
}

function newHandle(am: AutomergeModule): Handle {
  return am.getBackend(am.init());
}

interface Built {
  handle: Handle;
  kv: string;
  lease: string;
}

/**
 * A document with `keys` keys in map `kv` (and an empty `lease` map), written
 * `perChange` puts per change (1 = the history a live backend leaves behind).
 */
function build(am: AutomergeModule, keys: number, perChange = buildPutsPerChange): Built {
  const handle = newHandle(am);
  const kv = handle.putObject('_root', 'kv', {});
  const lease = handle.putObject('_root', 'lease', {});
  for (let i = 0; i < keys; i++) {
    handle.put(kv, keyOf(i), nextValue());
    if ((i + 1) % perChange === 0) handle.commit(undefined, 0);
  }
  handle.commit(undefined, 0);
  return { handle, kv, lease };
}

/** A second replica sharing the history of `b`, built from its save. */
function replica(am: AutomergeModule, b: Built): Handle {
  const r = newHandle(am);
  r.loadIncremental(b.handle.save());
  return r;
}

/** Calls `step` until `opsMax` calls or `msMax` ms; returns calls done and ms. */
function timed(opsMax: number, msMax: number, step: (i: number) => void): { ops: number; ms: number } {
  const t0 = performance.now();
  let ops = 0;
  while (ops < opsMax) {
    step(ops++);
    if ((ops & 15) === 0 && performance.now() - t0 > msMax) break;
  }
  return { ops, ms: performance.now() - t0 };
}

type Writer = (b: Built, key: string) => void;

const writeOnePut: Writer = (b, key) => b.handle.put(b.kv, key, nextValue());
// One put of the value with a 9 B lease header in front (the adapter's shape).
const writeHeader: Writer = (b, key) => b.handle.put(b.kv, key, nextValue(valueBytes + 9));
// Two puts: the value in `kv` and an 8 B lease id in `lease`.
const writeTwoPuts: Writer = (b, key) => {
  b.handle.put(b.kv, key, nextValue());
  b.handle.put(b.lease, key, nextValue(8));
};

/** Creates changes of `putsPerChange` writes on a 100k-key doc, then applies them one at a time to a replica. */
function createAndApply(
  am: AutomergeModule,
  putsPerChange: number,
  write: Writer,
  opsMax: number,
  buildPerChange = buildPutsPerChange,
  writerLoaded = false,
): Figures {
  const built = build(am, keysTotal, buildPerChange);
  const r = replica(am, built);
  const b = writerLoaded ? { ...built, handle: replica(am, built) } : built;
  const changes: Uint8Array[] = [];
  const created = timed(opsMax, measureMsMax, () => {
    for (let j = 0; j < putsPerChange; j++) write(b, randomKey(keysTotal));
    b.handle.commit(undefined, 0);
    const c = b.handle.getLastLocalChange();
    if (c) changes.push(c);
  });
  const applied = timed(changes.length, measureMsMax, (i) => r.applyChanges([changes[i]!]));
  if (applied.ops === changes.length && r.getHeads().join() !== b.handle.getHeads().join()) {
    throw new Error('bench: replica did not converge');
  }
  return {
    createdChangesPerS: (created.ops / created.ms) * 1000,
    createdPutsPerS: ((created.ops * putsPerChange) / created.ms) * 1000,
    appliedChangesPerS: (applied.ops / applied.ms) * 1000,
    appliedPutsPerS: ((applied.ops * putsPerChange) / applied.ms) * 1000,
    changesCreated: created.ops,
    changesApplied: applied.ops,
    rssEndMb: rssMb(),
  };
}

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/** 100k one-put changes over a 1k-key map: memory growth and rate. */
function memory(am: AutomergeModule): Figures {
  const b = build(am, memoryKeysTotal);
  const before = rssMb();
  const run = timed(memoryUpdatesTotal, memoryMsMax, () => {
    b.handle.put(b.kv, randomKey(memoryKeysTotal), nextValue());
    b.handle.commit(undefined, 0);
    b.handle.getLastLocalChange();
  });
  return {
    updatesDone: run.ops,
    changesPerS: (run.ops / run.ms) * 1000,
    rssGrowthMb: rssMb() - before,
  };
}

/** save() and load of a 100k-key doc (loadIncremental into an empty handle, as the adapter does). */
function saveLoad(am: AutomergeModule): Figures {
  const b = build(am, keysTotal);
  const t0 = performance.now();
  const saved = b.handle.save();
  const t1 = performance.now();
  const r = newHandle(am);
  r.loadIncremental(saved);
  const t2 = performance.now();
  const keysMs = timed(1, 1e9, () => r.keys(b.kv)).ms;
  const lengthMs = timed(1, 1e9, () => r.length(b.kv)).ms;
  if (r.length(b.kv) !== keysTotal) throw new Error('bench: load lost keys');
  return { saveMs: t1 - t0, loadMs: t2 - t1, savedMb: saved.length / 2 ** 20, keysMs, lengthMs };
}

export const scenarios: Record<string, (am: AutomergeModule) => Figures> = {
  'put1': (am) => createAndApply(am, 1, writeOnePut, 200_000),
  // The same on a doc whose 100k keys came from 100k one-put changes.
  'put1-deep': (am) => createAndApply(am, 1, writeOnePut, 200_000, 1),
  // The writer is itself loaded from a save, as a restarted backend is.
  'put1-loaded': (am) => createAndApply(am, 1, writeOnePut, 200_000, buildPutsPerChange, true),
  'put100': (am) => createAndApply(am, 100, writeOnePut, 20_000),
  'put1000': (am) => createAndApply(am, 1_000, writeOnePut, 2_000),
  'memory': memory,
  'save-load': saveLoad,
  'repr-header': (am) => createAndApply(am, 1, writeHeader, 200_000),
  'repr-two-puts': (am) => createAndApply(am, 1, writeTwoPuts, 200_000),
};
