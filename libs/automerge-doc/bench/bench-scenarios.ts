// Scenarios for doc-bench.ts. Each runs in its own child process (clean heap,
// clean wasm memory) against one Automerge module and returns its figures.
// Only the low-level handle is used, reached the same way the adapter does.
import { randomFillSync } from 'node:crypto';

import type * as Automerge from '@automerge/automerge';
import { createKvDocument, loadKvDocument } from '../src/index.js';

type AutomergeModule = typeof Automerge;
type Handle = ReturnType<AutomergeModule['getBackend']>;

export type Figures = Record<string, number>;

const keysTotal = 100_000;
const valueBytes = 256;
const buildPutsPerChange = 1_000;
const measureMsMax = 5_000;
// Every variant creates (and then applies) the same number of changes, so that
// the apply figures compare like with like; apply speed swings with the
// replica's state even on a quiet machine.
const put1ChangesMax = 20_000;
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

/**
 * Calls `step` until `opsMax` calls or `msMax` ms; returns calls done, wall ms
 * and this process's CPU ms (the machine is shared: CPU time is the steadier
 * measure of the work itself).
 */
function timed(opsMax: number, msMax: number, step: (i: number) => void): { ops: number; ms: number; cpuMs: number } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let ops = 0;
  while (ops < opsMax) {
    step(ops++);
    if ((ops & 15) === 0 && performance.now() - t0 > msMax) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return { ops, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const perS = (n: number, ms: number): number => (n / ms) * 1000;

type Writer = (b: Built, key: string) => void;

const writeOnePut: Writer = (b, key) => b.handle.put(b.kv, key, nextValue());
// One put of the value with a 9 B lease header in front (the adapter's shape).
const writeHeader: Writer = (b, key) => b.handle.put(b.kv, key, nextValue(valueBytes + 9));
// Two puts: the value in `kv` and an 8 B lease id in `lease`.
const writeTwoPuts: Writer = (b, key) => {
  b.handle.put(b.kv, key, nextValue());
  b.handle.put(b.lease, key, nextValue(8));
};

interface Shape {
  putsPerChange: number;
  write: Writer;
  changesMax: number;
  /** Puts per change when building the 100k keys. */
  buildPerChange?: number;
  /** The writer is itself loaded from a save, as a restarted backend is. */
  writerLoaded?: boolean;
  msMax?: number;
}

/** Creates changes on a 100k-key doc, then applies them one at a time to a replica. */
function createAndApply(am: AutomergeModule, shape: Shape): Figures {
  const { putsPerChange, write, msMax = measureMsMax } = shape;
  const built = build(am, keysTotal, shape.buildPerChange);
  const r = replica(am, built);
  const b = shape.writerLoaded ? { ...built, handle: replica(am, built) } : built;
  const changes: Uint8Array[] = [];
  const created = timed(shape.changesMax, msMax, () => {
    for (let j = 0; j < putsPerChange; j++) write(b, randomKey(keysTotal));
    b.handle.commit(undefined, 0);
    const c = b.handle.getLastLocalChange();
    if (c) changes.push(c);
  });
  const applied = timed(changes.length, msMax, (i) => r.applyChanges([changes[i]!]));
  if (applied.ops === changes.length && r.getHeads().join() !== b.handle.getHeads().join()) {
    throw new Error('bench: replica did not converge');
  }
  return {
    createdChangesPerS: perS(created.ops, created.ms),
    createdWritesPerS: perS(created.ops * putsPerChange, created.ms),
    createdWritesPerCpuS: perS(created.ops * putsPerChange, created.cpuMs),
    appliedChangesPerS: perS(applied.ops, applied.ms),
    appliedWritesPerS: perS(applied.ops * putsPerChange, applied.ms),
    appliedWritesPerCpuS: perS(applied.ops * putsPerChange, applied.cpuMs),
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
    changesPerS: perS(run.ops, run.ms),
    changesPerCpuS: perS(run.ops, run.cpuMs),
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

/** The adapter itself (always the workspace's Automerge): one-put commits, applied by a loaded replica. */
function adapterPut1(): Figures {
  const doc = createKvDocument();
  for (let i = 0; i < keysTotal; i++) {
    doc.put(keyOf(i), nextValue(), '0');
    if ((i + 1) % buildPutsPerChange === 0) doc.commit();
  }
  const r = loadKvDocument({ saved: doc.save() });
  const changes: Uint8Array[] = [];
  const created = timed(put1ChangesMax, measureMsMax, (i) => {
    doc.put(randomKey(keysTotal), nextValue(), i % 2 === 0 ? '0' : '7587862072907390000');
    changes.push(doc.commit()!.bytes);
  });
  const applied = timed(changes.length, measureMsMax, (i) => r.applyChanges([changes[i]!]));
  return {
    createdChangesPerS: perS(created.ops, created.ms),
    createdChangesPerCpuS: perS(created.ops, created.cpuMs),
    appliedChangesPerS: perS(applied.ops, applied.ms),
    appliedChangesPerCpuS: perS(applied.ops, applied.cpuMs),
    changesApplied: applied.ops,
  };
}

const one = { putsPerChange: 1, write: writeOnePut, changesMax: put1ChangesMax };

export const scenarios: Record<string, (am: AutomergeModule) => Figures> = {
  'put1': (am) => createAndApply(am, one),
  // The same on a doc whose 100k keys came from 100k one-put changes.
  'put1-deep': (am) => createAndApply(am, { ...one, buildPerChange: 1 }),
  'put1-loaded': (am) => createAndApply(am, { ...one, writerLoaded: true }),
  // A long run: 100k more one-put changes on top of the 100k keys.
  'put1-long': (am) => createAndApply(am, { ...one, changesMax: 100_000, msMax: 60_000 }),
  'put100': (am) => createAndApply(am, { ...one, putsPerChange: 100, changesMax: put1ChangesMax / 100 }),
  'put1000': (am) => createAndApply(am, { ...one, putsPerChange: 1_000, changesMax: put1ChangesMax / 1_000 }),
  'memory': memory,
  'save-load': saveLoad,
  'repr-header': (am) => createAndApply(am, { ...one, write: writeHeader }),
  'repr-two-puts': (am) => createAndApply(am, { ...one, write: writeTwoPuts }),
  'adapter-put1': adapterPut1,
};
