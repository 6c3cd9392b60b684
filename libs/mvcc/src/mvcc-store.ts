// The multi-version key-value store. The backend evaluates writes on its
// authoritative store (write); each frontend keeps a replica fed with the
// resulting patches (applyRevision) and serves reads from it. Both keep the
// per-revision log back to the compact revision for watch catch-up.
import { keyString, toInt } from './convert.js';
import { invariant, KvError } from './errors.js';
import { KeySpace, kvAt, UndoableChanges } from './key-space.js';
import { checkEvent, normalizeEvent, normalizeKv } from './patch-input.js';
import { rangeAt, readRevision } from './range.js';
import type { ReadLimits } from './range.js';
import type {
  CompactResult,
  Event,
  KeyValue,
  MvccState,
  MvccStoreOptions,
  RangeRequest,
  RangeResult,
  RevisionPatch,
  WriteContext,
  WriteOp,
  WriteResult,
} from './types.js';
import { checkDeleteRangeRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from './validate.js';
import { Writer } from './write.js';

export class MvccStore {
  readonly #space = new KeySpace();
  #revision: number;
  #compactRevision: number;
  /** Oldest revision whose full state is known (compact revision, or the initial revision). */
  #baseRevision: number;
  /** Patches of consecutive revisions, the last one being #revision. */
  #log: RevisionPatch[] = [];
  /** Lowest revision eventsBetween can serve: every revision from here on is in #log or has no events. */
  #floor: number;

  constructor(opts: MvccStoreOptions = {}) {
    this.#revision = opts.revision ?? 1;
    this.#compactRevision = opts.compactRevision ?? -1;
    invariant(Number.isSafeInteger(this.#revision) && this.#revision >= 1, `bad initial revision ${this.#revision}`);
    invariant(this.#compactRevision >= -1 && this.#compactRevision <= this.#revision, `bad compact revision ${this.#compactRevision}`);
    this.#baseRevision = this.#revision;
    // Revision 1 is the empty store: nothing happened at it. Past an initial
    // revision N the events of N itself are unknown.
    this.#floor = this.#revision === 1 ? 1 : this.#revision + 1;
  }

  get revision(): number {
    return this.#revision;
  }

  get compactRevision(): number {
    return this.#compactRevision;
  }

  /** Number of live keys. */
  keyCount(): number {
    return this.#space.liveCount;
  }

  range(req: RangeRequest): RangeResult {
    checkRangeRequest(req);
    return rangeAt(this.#space, req, this.#readAt(toInt(req.revision)));
  }

  /** The live kv of a key at a revision (default: newest), e.g. a watch event's prev_kv. */
  kvAt(key: Uint8Array, revision = 0): KeyValue | undefined {
    return kvAt(this.#space.history(keyString(key)), this.#readAt(revision));
  }

  /** Evaluates a write; if anything changed it becomes revision + 1. Throws KvError with nothing changed. */
  write(op: WriteOp, ctx: WriteContext): WriteResult {
    const writer = new Writer(this.#space, this.#readLimits(), ctx);
    let response: WriteResult['response'];
    try {
      if ('put' in op) {
        checkPutRequest(op.put);
        response = writer.put(op.put, false);
      } else if ('delete_range' in op) {
        checkDeleteRangeRequest(op.delete_range);
        response = writer.deleteRange(op.delete_range, false);
      } else {
        invariant('txn' in op && op.txn, 'write op is none of put, delete_range, txn');
        checkTxnRequest(op.txn, { maxTxnOps: ctx.maxTxnOps ?? Infinity });
        response = writer.txn(op.txn);
      }
    } catch (err) {
      writer.rollback();
      throw err;
    }
    const events = writer.events;
    if (events.length > 0) this.#commit({ revision: writer.pending, events });
    return { revision: this.#revision, changed: events.length > 0, events, response };
  }

  /** Replica: applies the events of exactly revision + 1 (KvError FutureRev on a gap, Compacted if already applied). */
  applyRevision(patch: RevisionPatch): void {
    const revision = toInt(patch.revision);
    if (revision > this.#revision + 1) throw new KvError('FutureRev', { detail: `patch ${revision} after ${this.#revision}` });
    if (revision <= this.#revision) throw new KvError('Compacted', { detail: `patch ${revision} already applied` });
    invariant(patch.events.length > 0, `patch of revision ${revision} has no events`);
    const events = patch.events.map(normalizeEvent);
    const changes = new UndoableChanges(this.#space);
    try {
      for (const e of events) changes.append(checkEvent(this.#space, revision, e), e.kv);
    } catch (err) {
      changes.undo();
      throw err;
    }
    this.#commit({ revision, events });
  }

  /** Compacts history at a revision: reads below it fail with Compacted from now on. */
  compact(revision: number): CompactResult {
    const rev = toInt(revision);
    if (rev <= this.#compactRevision) throw new KvError('Compacted');
    if (rev > this.#revision) throw new KvError('FutureRev');
    // Only keys changed since the last compaction can hold history below rev.
    const first = this.#log[0]?.revision ?? this.#revision + 1;
    const from = Math.max(this.#compactRevision + 1, first) - first;
    const to = Math.min(rev, this.#revision) - first;
    for (let i = from; i <= to; i++) {
      for (const e of this.#log[i]!.events) this.#space.compactKey(keyString(e.kv.key), rev);
    }
    // The patch of rev itself stays: a watch may start at the compact revision.
    const drop = Math.max(0, rev - first);
    if (drop > 0) this.#log.splice(0, drop);
    this.#compactRevision = rev;
    if (rev > this.#baseRevision) this.#baseRevision = rev;
    if (rev > this.#floor) this.#floor = rev;
    return { revision: this.#revision, compactRevision: rev };
  }

  /** Patches of revisions fromRevision..toRevision (inclusive, capped at the current revision). */
  eventsBetween(fromRevision: number, toRevision: number): RevisionPatch[] {
    if (fromRevision < this.#floor) throw new KvError('Compacted');
    const first = this.#log[0]?.revision;
    if (first === undefined) return [];
    const start = Math.max(fromRevision, first) - first;
    const end = Math.min(toRevision, this.#revision) - first + 1;
    return start < end ? this.#log.slice(start, end) : [];
  }

  exportState(): MvccState {
    const base: KeyValue[] = [];
    this.#space.scan('', undefined, (_key, h) => {
      const kv = kvAt(h, this.#baseRevision);
      if (kv) base.push(kv);
    });
    return {
      revision: this.#revision,
      compactRevision: this.#compactRevision,
      baseRevision: this.#baseRevision,
      base,
      patches: this.#log.slice(),
    };
  }

  static fromState(state: MvccState): MvccStore {
    const baseRevision = toInt(state.baseRevision ?? Math.max(toInt(state.compactRevision), 1));
    const store = new MvccStore({ revision: baseRevision, compactRevision: Math.min(toInt(state.compactRevision), baseRevision) });
    store.#loadBase(state.base);
    for (const patch of state.patches) {
      const revision = toInt(patch.revision);
      if (revision < baseRevision) continue;
      if (revision > baseRevision) {
        store.applyRevision(patch);
        continue;
      }
      // The patch of the base revision is already in `base`: keep it for watches only.
      store.#log.push({ revision, events: patch.events.map(normalizeEvent) });
      store.#floor = baseRevision;
    }
    invariant(store.#revision === toInt(state.revision), `state says revision ${toInt(state.revision)}, patches end at ${store.#revision}`);
    return store;
  }

  #loadBase(base: readonly KeyValue[]): void {
    for (const raw of base) {
      const kv = normalizeKv(raw);
      const key = keyString(kv.key);
      invariant(key.length > 0 && kv.version > 0 && kv.mod_revision <= this.#baseRevision, 'bad kv in base state');
      invariant(this.#space.history(key) === undefined, `duplicate key in base state: ${JSON.stringify(key)}`);
      this.#space.append(key, kv);
    }
  }

  #commit(patch: { revision: number; events: Event[] }): void {
    invariant(patch.revision === this.#revision + 1, 'commit out of order');
    const last = this.#log[this.#log.length - 1];
    invariant(last === undefined || last.revision === this.#revision, 'revision log has a gap');
    // Results hand out the same arrays the log keeps for watch history.
    Object.freeze(patch.events);
    this.#log.push(Object.freeze(patch));
    this.#revision = patch.revision;
  }

  /**
   * Outside a write nothing is newer than the current revision, so reading at
   * it is reading the newest state: counts then come from the index in
   * O(log n) (kube-apiserver pins list pages to the revision it just read).
   */
  #readAt(requested: number): number {
    const revision = readRevision(requested, this.#readLimits());
    return revision === this.#revision ? Infinity : revision;
  }

  #readLimits(): ReadLimits {
    return { current: this.#revision, oldest: Math.max(this.#baseRevision, this.#compactRevision) };
  }
}
