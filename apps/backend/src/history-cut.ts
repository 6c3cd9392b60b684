// Cuts the Automerge document's history (ARCHITECTURE.md §5b). Once the
// document keeps more ops than max(minOps, opsPerLiveEntry × live state)
// (defaults 100,000 and 4), the state at the
// end of a batch (revision R) is handed to a worker thread, which builds the
// deterministic rebase change B while the apply loop goes on. At the first
// batch boundary after B is ready (revision S), the backend loads a fresh
// document from B, writes onto it the events of revisions R+1..S and the
// current leases (one change C), and swaps it in. B‖C is persisted with batch
// S as the new snapshot document; the changes it replaces are deleted then.
import { Worker } from 'node:worker_threads';
import { lineageIdOnWire, loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import type { Rebase } from '@eckd/change-codec';
import type { KeyValue, RevisionPatch } from '@eckd/mvcc';
import type { Logger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import type { NodeState } from './write-application.js';
import { writeEvents } from './write-application.js';

const historyCutsTotal = counter('eckd_history_cuts_total', "Cuts of the document's history (ARCHITECTURE §5b) completed.");

/** The live state at R, packed so that posting it to the worker copies two buffers, not one per value. */
export interface PackedState {
  keyBytes: Uint8Array;
  keyLengths: number[];
  valueBytes: Uint8Array;
  valueLengths: number[];
  keyLeases: string[];
  leases: { id: string; ttl: number }[];
}

type BuiltBase = { bytes: Uint8Array; hash: string } | { error: string };

interface PendingCut {
  revision: number;
  startedMs: number;
  opsBefore: number;
  built: BuiltBase | undefined;
  /** the revisions after R, to write again onto the new document */
  since: RevisionPatch[];
}

export interface HistoryCutterOptions {
  /** 0: never cut */
  minOps: number;
  /** how many ops the document may keep per live key or lease before a cut */
  opsPerLiveEntry: number;
  /** the largest base an append can carry; a larger cut is given up (the document keeps its history) */
  documentBytesMax: number;
  log: Logger;
}

export class HistoryCutter {
  readonly #opts: HistoryCutterOptions;
  #worker: Worker | undefined;
  #pending: PendingCut | undefined;
  /** after a cut too large to store, no new one before the document holds this many ops */
  #opsBeforeNextTry = 0;

  constructor(opts: HistoryCutterOptions) {
    this.#opts = opts;
  }

  /**
   * Call after every batch that changed the document, with its revisions
   * and last revision. Returns the cut to persist with this batch when one
   * completes here (the batch's own change is then part of it).
   */
  afterBatch(state: NodeState, patches: readonly RevisionPatch[], revision: number): Rebase | undefined {
    const pending = this.#pending;
    if (!pending) {
      if (this.#due(state)) this.#start(state, revision);
      return undefined;
    }
    pending.since.push(...patches);
    if (!pending.built) return undefined;
    this.#pending = undefined;
    if ('error' in pending.built) {
      this.#opts.log.error('document history cut failed; the document keeps its history until the next try', { error: pending.built.error });
      return undefined;
    }
    if (pending.built.bytes.length > this.#opts.documentBytesMax) {
      this.#opsBeforeNextTry = 2 * state.doc.opCount();
      this.#opts.log.error('document history cut given up: its base is larger than an append may carry; the document keeps its history', {
        baseBytes: pending.built.bytes.length,
        documentBytesMax: this.#opts.documentBytesMax,
        nextTryAtOps: this.#opsBeforeNextTry,
      });
      return undefined;
    }
    historyCutsTotal.add(1);
    return this.#finish(state, pending, pending.built, revision);
  }

  async stop(): Promise<void> {
    await this.#worker?.terminate();
  }

  #due(state: NodeState): boolean {
    if (this.#opts.minOps === 0) return false;
    if (state.doc.opCount() <= this.#opsBeforeNextTry) return false;
    return historyCutDue(state, this.#opts.minOps, this.#opts.opsPerLiveEntry);
  }

  #start(state: NodeState, revision: number): void {
    const pending: PendingCut = { revision, startedMs: performance.now(), opsBefore: state.doc.opCount(), built: undefined, since: [] };
    this.#pending = pending;
    const worker = this.#startedWorker();
    const settle = (built: BuiltBase) => {
      worker.off('message', settle);
      worker.off('error', fail);
      pending.built ??= built;
    };
    const fail = (err: Error) => {
      this.#worker = undefined;
      settle({ error: err.message });
    };
    worker.on('message', settle);
    worker.once('error', fail);
    worker.postMessage(packState(state));
  }

  #startedWorker(): Worker {
    if (!this.#worker) {
      // Bundled beside main.js (tools/scripts/build-project.mjs).
      this.#worker = new Worker(new URL('./rebase.worker.js', import.meta.url));
      this.#worker.unref();
    }
    return this.#worker;
  }

  #finish(state: NodeState, pending: PendingCut, base: { bytes: Uint8Array; hash: string }, revision: number): Rebase {
    const swapStarted = performance.now();
    const next = loadKvDocument({ base: base.bytes });
    for (const patch of pending.since) writeEvents(next, patch.events);
    copyLeases(state.doc, next);
    // The worker's base holds no auth records: they go into the change after it, as they are now.
    for (const { key, value } of state.doc.authRecords()) next.setAuthRecord(key, value);
    const change = next.commit();
    state.doc.free();
    state.doc = next;
    const document = change ? Buffer.concat([base.bytes, change.bytes]) : base.bytes;
    const keyCount = state.store.keyCount();
    this.#opts.log.info('document history cut', {
      revision: pending.revision,
      swappedAt: revision,
      opsBefore: pending.opsBefore,
      keys: keyCount,
      buildMs: Math.round(swapStarted - pending.startedMs),
      swapMs: Math.round(performance.now() - swapStarted),
    });
    return { document, heads: next.heads(), key_count: keyCount, lineage: lineageIdOnWire(next.lineage()) };
  }
}

/**
 * §5b's due rule: the document keeps more ops than max(minOps, opsPerLiveEntry ×
 * (live keys + leases)); minOps 0: never. Also a member with peers' rule for
 * proposing a coordinated cut (§8.10, 1).
 */
export function historyCutDue(state: NodeState, minOps: number, opsPerLiveEntry: number): boolean {
  if (minOps === 0) return false;
  return state.doc.opCount() > Math.max(minOps, opsPerLiveEntry * (state.store.keyCount() + state.leases.size));
}

/** The live keys at the store's revision and the granted leases, in the form the worker takes. */
function packState(state: NodeState): PackedState {
  const kvs = state.store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) }).kvs as KeyValue[];
  const keyLengths = kvs.map((kv) => kv.key.length);
  const valueLengths = kvs.map((kv) => kv.value.length);
  return {
    keyBytes: Buffer.concat(kvs.map((kv) => kv.key)),
    keyLengths,
    valueBytes: Buffer.concat(kvs.map((kv) => kv.value)),
    valueLengths,
    keyLeases: kvs.map((kv) => String(kv.lease ?? '0')),
    leases: state.doc.leases(),
  };
}

/** Makes `to`'s granted leases those of `from` (they changed without revisions since the cut's state was taken). */
function copyLeases(from: KvDocument, to: KvDocument): void {
  const want = new Map(from.leases().map((l) => [l.id, l.ttl]));
  for (const { id, ttl } of to.leases()) if (want.get(id) !== ttl) to.deleteLease(id);
  const have = new Map(to.leases().map((l) => [l.id, l.ttl]));
  for (const [id, ttl] of want) if (have.get(id) !== ttl) to.putLease(id, ttl);
}
