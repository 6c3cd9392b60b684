// Costs of the multi-member additions (tagged values, peer apply, sync) on a
// 100k-key document with 100 B values. Each figure runs in its own child
// process (clean heap and wasm memory).
//
//   node --expose-gc --import tsx --conditions=@eckd/source libs/automerge-doc/bench/peer-bench.ts [--doc <module>]
//
// `--doc` points at another build of this library's index (e.g. an older
// commit's src/index.ts) to compare the untagged figures before and after.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as Lib from '../src/index.js';
import { keyOf, nextValue } from './bench-values.js';

type Figures = Record<string, number>;

const keysTotal = 100_000;
const buildPutsPerChange = 1_000;
const peerChanges = 100;
const putsPerPeerChange = 100;
const getsMeasured = 200_000;


function build(lib: typeof Lib, tagged: boolean): Lib.KvDocument {
  const doc = lib.createKvDocument();
  const clock = tagged ? new lib.HybridClock(1n) : undefined;
  for (let i = 0; i < keysTotal; i++) {
    if (clock) doc.putTagged(keyOf(i), nextValue(), '0', clock.next(), BigInt(i + 1));
    else doc.put(keyOf(i), nextValue(), '0');
    if ((i + 1) % buildPutsPerChange === 0) doc.commit();
  }
  doc.commit();
  return doc;
}

function timeMs(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** 100 changes of 100 puts each, made on a copy of `doc` by another member. */
function peerBatch(lib: typeof Lib, doc: Lib.KvDocument): Uint8Array[] {
  const peer = lib.loadKvDocument({ saved: doc.save() });
  const clock = new lib.HybridClock(2n);
  const changes: Uint8Array[] = [];
  for (let c = 0; c < peerChanges; c++) {
    const tag = clock.next();
    for (let p = 0; p < putsPerPeerChange; p++) peer.putTagged(keyOf((c * 997 + p * 7919) % keysTotal), nextValue(), '0', tag, BigInt(c + 1));
    changes.push(peer.commit({ member: 2n, revision: BigInt(c + 1) })!.bytes);
  }
  return changes;
}

const scenarios: Record<string, (lib: typeof Lib) => Figures> = {
  // The untagged single-node path, comparable with an older build via --doc.
  untagged: (lib) => {
    const doc = build(lib, false);
    const keysMs = timeMs(() => doc.keys());
    const sizeMs = timeMs(() => doc.size());
    let sink = 0;
    const getNs = (timeMs(() => {
      for (let i = 0; i < getsMeasured; i++) sink += doc.get(keyOf((i * 7919) % keysTotal))!.value.length;
    }) * 1e6) / getsMeasured;
    const loaded = lib.loadKvDocument({ saved: doc.save() });
    const loadedKeysFirstMs = timeMs(() => loaded.keys());
    const loadedKeysAgainMs = timeMs(() => loaded.keys());
    return { keysMs, sizeMs, getNs, loadedKeysFirstMs, loadedKeysAgainMs, sink: sink > 0 ? 1 : 0 };
  },
  tagged: (lib) => {
    const doc = build(lib, true);
    const clock = new lib.HybridClock(1n);
    for (let i = 0; i < keysTotal; i += 100) doc.deleteTagged(keyOf(i), clock.next(), 1n); // 1% tombstones
    doc.commit();
    const keysMs = timeMs(() => doc.keys());
    let sink = 0;
    const getNs = (timeMs(() => {
      for (let i = 0; i < getsMeasured; i++) sink += doc.get(keyOf((i * 7919) % keysTotal))?.value.length ?? 0;
    }) * 1e6) / getsMeasured;
    const loaded = lib.loadKvDocument({ saved: doc.save() });
    const loadedKeysFirstMs = timeMs(() => loaded.keys());
    const loadedKeysAgainMs = timeMs(() => loaded.keys());
    return { keysMs, getNs, loadedKeysFirstMs, loadedKeysAgainMs, sink: sink > 0 ? 1 : 0 };
  },
  // get of a key holding two concurrent tagged values.
  conflicted: (lib) => {
    const a = build(lib, true);
    const b = lib.loadKvDocument({ saved: a.save() });
    const ca = new lib.HybridClock(1n);
    const cb = new lib.HybridClock(2n);
    for (let i = 0; i < keysTotal; i += 10) {
      a.putTagged(keyOf(i), nextValue(), '0', ca.next(), 1n);
      b.putTagged(keyOf(i), nextValue(), '0', cb.next(), 1n);
    }
    a.commit();
    a.applyPeerChanges([b.commit()!.bytes]);
    let sink = 0;
    const n = keysTotal / 10;
    const getNs = (timeMs(() => {
      for (let r = 0; r < 10; r++) for (let i = 0; i < keysTotal; i += 10) sink += a.get(keyOf(i))!.value.length;
    }) * 1e6) / (10 * n);
    const conflictsNs = (timeMs(() => {
      for (let i = 0; i < keysTotal; i += 10) sink += a.conflictsOf(keyOf(i)).length;
    }) * 1e6) / n;
    return { getNs, conflictsNs, sink: sink > 0 ? 1 : 0 };
  },
  apply: (lib) => {
    const doc = build(lib, true);
    const changes = peerBatch(lib, doc);
    gc();
    let result: Lib.PeerApplyResult | undefined;
    const applyMs = timeMs(() => {
      result = doc.applyPeerChanges(changes);
    });
    const readTouchedMs = timeMs(() => {
      for (const k of result!.touchedKeys) doc.get(k);
    });
    return { applyMs, applied: result!.applied.length, touchedKeys: result!.touchedKeys.length, readTouchedMs, changeBytes: changes.reduce((n, c) => n + c.length, 0) };
  },
  sync: (lib) => {
    const a = build(lib, true);
    const b = lib.loadKvDocument({ saved: a.save() });
    const [aSync, bSync] = [lib.createPeerSync(), lib.createPeerSync()];
    // One round to learn the shared heads, as members that were in sync.
    for (let r = 0; r < 10; r++) {
      const m1 = a.generateSyncMessage(aSync);
      if (m1) b.receiveSyncMessage(bSync, m1);
      const m2 = b.generateSyncMessage(bSync);
      if (m2) a.receiveSyncMessage(aSync, m2);
      if (!m1 && !m2) break;
    }
    for (const change of peerBatch(lib, a)) a.applyPeerChanges([change]); // a holds 100 changes b lacks
    gc();
    let bytes = 0;
    let messages = 0;
    let applied = 0;
    const roundMs = timeMs(() => {
      for (let r = 0; r < 10; r++) {
        const m1 = a.generateSyncMessage(aSync);
        if (m1) applied += b.receiveSyncMessage(bSync, m1).applied.length;
        const m2 = b.generateSyncMessage(bSync);
        if (m2) a.receiveSyncMessage(aSync, m2);
        for (const m of [m1, m2]) {
          if (m === undefined) continue;
          bytes += m.length;
          messages++;
        }
        if (!m1 && !m2) break;
      }
    });
    return { roundMs, bytes, messages, applied };
  },
  memoryUntagged: (lib) => memory(lib, false),
  memoryTagged: (lib) => memory(lib, true),
};

function memory(lib: typeof Lib, tagged: boolean): Figures {
  gc();
  const before = process.memoryUsage().rss;
  const doc = build(lib, tagged);
  gc();
  const after = process.memoryUsage().rss;
  return { bytesPerKey: (after - before) / keysTotal, savedBytesPerKey: doc.save().length / keysTotal, opCount: doc.opCount() };
}

const { values } = parseArgs({ options: { child: { type: 'string' }, doc: { type: 'string', default: '../src/index.js' }, only: { type: 'string', multiple: true } } });
if (values.child !== undefined) {
  const lib = (await import(values.doc!)) as typeof Lib;
  process.stdout.write(`${JSON.stringify(scenarios[values.child]!(lib))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const name of values.only ?? Object.keys(scenarios)) {
    const args = ['--expose-gc', '--import', 'tsx', '--conditions=@eckd/source', self, '--child', name, '--doc', values.doc!];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000 });
    process.stdout.write(`${name}: ${r.status === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim().split('\n').slice(0, 8).join(' ')}`}\n`);
  }
}
