// Every key with retained history, in key order. A key's history is the list
// of its kvs and tombstones by mod_revision (oldest first); the key is live
// when its newest entry is a kv. Compaction keeps, per key, the newest entry
// at or below the compact revision (none if that is a tombstone) and all
// newer ones, so every revision from the compact revision on can be read.
import { invariant } from './errors.js';
import { KeyIndex } from './key-index.js';
import type { KeyValue, Tombstone } from './types.js';

export type HistoryEntry = KeyValue | Tombstone;
export type History = HistoryEntry[];

export function isKv(entry: HistoryEntry | undefined): entry is KeyValue {
  return entry !== undefined && (entry as Partial<KeyValue>).version !== undefined;
}

function historyIsLive(h: History): boolean {
  return isKv(h[h.length - 1]);
}

/** Index of the newest entry with mod_revision <= revision, or -1. */
function entryIndexAt(h: History, revision: number): number {
  let hi = h.length - 1;
  if (hi < 0 || h[hi]!.mod_revision <= revision) return hi;
  let lo = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (h[mid]!.mod_revision <= revision) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

/** The live kv of a history at a revision (Infinity = newest). */
export function kvAt(h: History | undefined, revision: number): KeyValue | undefined {
  if (h === undefined) return undefined;
  const entry = revision === Infinity ? h[h.length - 1] : h[entryIndexAt(h, revision)];
  return isKv(entry) ? entry : undefined;
}

export class KeySpace {
  readonly index = new KeyIndex<History>(historyIsLive);

  get liveCount(): number {
    return this.index.liveSize;
  }

  history(key: string): History | undefined {
    return this.index.get(key);
  }

  latest(key: string): KeyValue | undefined {
    return kvAt(this.index.get(key), Infinity);
  }

  /** Appends a newer entry to the key's history, keeping the live counts right. */
  append(key: string, entry: HistoryEntry): void {
    const h = this.index.get(key);
    if (h === undefined) {
      invariant(isKv(entry), `tombstone for unknown key ${JSON.stringify(key)}`);
      this.index.insert(key, [entry]);
      return;
    }
    invariant(h[h.length - 1]!.mod_revision <= entry.mod_revision, 'history entries out of revision order');
    const wasLive = historyIsLive(h);
    h.push(entry);
    if (wasLive !== isKv(entry)) this.index.liveChanged(key, wasLive ? -1 : 1);
  }

  /** Cuts a key's history back to its first `length` entries (undoing appends). */
  truncate(key: string, length: number): void {
    const h = this.index.get(key);
    if (h === undefined || h.length <= length) return;
    if (length === 0) {
      this.index.delete(key);
      return;
    }
    const wasLive = historyIsLive(h);
    h.length = length;
    const isLive = historyIsLive(h);
    if (wasLive !== isLive) this.index.liveChanged(key, isLive ? 1 : -1);
  }

  /** Drops what compaction at `revision` makes unreadable from one key's history. */
  compactKey(key: string, revision: number): void {
    const h = this.index.get(key);
    if (h === undefined) return;
    const at = entryIndexAt(h, revision);
    if (at < 0) return;
    const drop = isKv(h[at]) ? at : at + 1;
    if (drop === h.length) this.index.delete(key);
    else if (drop > 0) h.splice(0, drop);
  }

  /** Calls fn with every key's history in [start, end) in key order until fn returns false. */
  scan(start: string, end: string | undefined, fn: (key: string, h: History) => boolean | void): void {
    this.index.scan(start, end, fn);
  }

  countLive(start: string, end: string | undefined): number {
    return this.index.countLive(start, end);
  }
}

/** Appends to histories while remembering how to undo them (all-or-nothing writes and patches). */
export class UndoableChanges {
  readonly #space: KeySpace;
  /** History length of every touched key before the first append. */
  readonly #touched = new Map<string, number>();

  constructor(space: KeySpace) {
    this.#space = space;
  }

  append(key: string, entry: HistoryEntry): void {
    if (!this.#touched.has(key)) this.#touched.set(key, this.#space.history(key)?.length ?? 0);
    this.#space.append(key, entry);
  }

  undo(): void {
    for (const [key, length] of this.#touched) this.#space.truncate(key, length);
    this.#touched.clear();
  }
}
