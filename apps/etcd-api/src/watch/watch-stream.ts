// One Watch gRPC stream: its watchers, its watch ids, and the order of what
// it sends. Created responses go out before any event of their watch, one
// revision is never split across responses, and a watcher that cannot be
// sent to (the stream is backed up) stops taking live events and catches up
// from the replica's history once the stream drains.
import type { KeyValue, MvccStore, RevisionPatch } from '@eckd/mvcc';
import { KvError } from '@eckd/mvcc';
import type { Logger } from '@eckd/service-kit';
import type { LiveRevision } from './live-revision.js';
import type { StreamResponse } from '../batched-writer.js';
import type { Watcher, WatchCreate, WatchId } from './watcher.js';
import { filterNames, isEmptyRange, matches, toWatchId, watchRange } from './watcher.js';

export interface WatchStreamDeps {
  store(): MvccStore;
  header(revision: number): Record<string, unknown>;
  /** writes one response; returns false when the stream's buffer is full */
  write(response: StreamResponse): boolean;
  /** ends the whole stream with etcd's answer for `err` */
  fail(err: unknown): void;
  log: Logger;
  /** responses above this many bytes with several events are split when the watcher asked for fragments */
  fragmentBytes: number;
  /** watchers this stream may hold; a create beyond is refused (etcd has no such bound) */
  watchersMax: number;
}

/** Revisions with events sent in one catch-up response (etcd's watchBatchMaxRevs). */
const catchUpRevisionsMax = 1000;
/** Store revisions scanned per catch-up step, so one step stays short. */
const catchUpScanRevisionsMax = 10_000;
/** Header, ids and framing of a watch response, for fragment sizing. */
const responseOverheadBytes = 64;

interface OutEvent {
  event: Record<string, unknown>;
  bytes: number;
}

export class WatchStream {
  readonly #watchers = new Map<WatchId, Watcher>();
  readonly #deps: WatchStreamDeps;
  #nextId = 0;
  #blocked = false;
  #catchUpScheduled = false;
  #closed = false;

  constructor(deps: WatchStreamDeps) {
    this.#deps = deps;
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  create(req: WatchCreate): void {
    const store = this.#deps.store();
    const current = store.revision;
    const start = Number(req.start_revision ?? 0);
    const range = watchRange(req);
    const failed = (reason: string) =>
      this.#send({ header: this.#deps.header(current), watch_id: -1, created: true, canceled: true, cancel_reason: reason });
    if (start < 0) return failed('etcdserver: mvcc: required revision has been compacted');
    if (isEmptyRange(range)) return failed('mvcc: watcher range is empty');
    const requested = toWatchId(req.watch_id);
    if (requested !== 0 && this.#watchers.has(requested)) return failed('mvcc: duplicate watch ID provided on the WatchStream');
    if (this.#watchers.size >= this.#deps.watchersMax) return failed('etcdserver: too many requests');
    const id = requested !== 0 ? requested : this.#autoId();
    const { noPut, noDelete } = filterNames(req.filters);
    const next = start > 0 ? start : current + 1;
    const w: Watcher = {
      id,
      ...range,
      noPut,
      noDelete,
      prevKv: req.prev_kv === true,
      progressNotify: req.progress_notify === true,
      fragment: req.fragment === true,
      next,
      synced: next > current,
      active: false,
    };
    this.#watchers.set(id, w);
    this.#send({ header: this.#deps.header(current), watch_id: id, created: true });
    if (!w.synced) this.#scheduleCatchUp();
  }

  /** Answers a create request that may not be served (etcd: created and canceled at once, watch id -1, the reason). */
  refuseCreate(reason: string): void {
    this.#send({ header: this.#deps.header(this.#deps.store().revision), watch_id: -1, created: true, canceled: true, cancel_reason: reason });
  }

  cancel(watchId: WatchId): void {
    if (!this.#watchers.delete(watchId)) return; // etcd sends nothing for an unknown id
    this.#send({ header: this.#deps.header(this.#deps.store().revision), watch_id: watchId, canceled: true });
  }

  /** Progress request: answered only when there are watchers and every one is synced (3.5.13+/3.6). */
  requestProgress(): void {
    if (this.#watchers.size === 0) return;
    const current = this.#deps.store().revision;
    for (const w of this.#watchers.values()) if (!w.synced || w.next > current + 1) return;
    this.#send({ header: this.#deps.header(current), watch_id: -1 });
  }

  /** Periodic progress notification to synced, idle watchers that asked for it. */
  progressTick(): void {
    const current = this.#deps.store().revision;
    for (const w of this.#watchers.values()) {
      if (w.progressNotify && w.synced && !w.active && w.next <= current + 1) this.#send({ header: this.#deps.header(current), watch_id: w.id });
      w.active = false;
    }
  }

  /** Live path: the replica applied `live.patch`. */
  revisionApplied(live: LiveRevision): void {
    const revision = live.patch.revision;
    for (const w of this.#watchers.values()) {
      if (!w.synced || w.next > revision) continue;
      if (this.#blocked) {
        w.synced = false; // caught up from history once the stream drains
        continue;
      }
      try {
        this.#deliverRevision(w, live);
      } catch (err) {
        this.#cancelFailed(w, err);
        continue;
      }
      w.next = revision + 1;
    }
  }

  /** Something other than compaction failed for the whole stream (see WatchHub.applied). */
  fail(err: unknown): void {
    this.#deps.fail(err);
  }

  /** The replica was replaced (resync): everyone catches up from its history. */
  replicaReplaced(): void {
    for (const w of this.#watchers.values()) w.synced = false;
    this.#scheduleCatchUp();
  }

  drained(): void {
    this.#blocked = false;
    this.#scheduleCatchUp();
  }

  close(): void {
    this.#closed = true;
    this.#watchers.clear();
  }

  #autoId(): number {
    while (this.#watchers.has(this.#nextId)) this.#nextId++;
    return this.#nextId++;
  }

  #scheduleCatchUp(): void {
    if (this.#catchUpScheduled || this.#closed) return;
    this.#catchUpScheduled = true;
    setImmediate(() => {
      this.#catchUpScheduled = false;
      this.#catchUp();
    });
  }

  /**
   * Sends one bounded step of history to each unsynced watcher, then yields.
   * A response holds at most 1,000 of the watcher's own revisions (etcd's
   * watchBatchMaxRevs); the store revisions scanned per step are bounded too.
   */
  #catchUp(): void {
    if (this.#closed) return;
    const store = this.#deps.store();
    let more = false;
    for (const w of this.#watchers.values()) {
      if (w.synced || this.#blocked) continue;
      if (w.next > store.revision) {
        w.synced = true;
        continue;
      }
      const last = Math.min(store.revision, w.next + catchUpScanRevisionsMax - 1);
      try {
        const { events, throughRevision } = this.#collect(w, store.eventsBetween(w.next, last), catchUpRevisionsMax);
        this.#deliver(w, events, store.revision);
        w.next = (throughRevision ?? last) + 1;
      } catch (err) {
        if (!isCompacted(err)) {
          this.#cancelFailed(w, err);
          continue;
        }
        this.#watchers.delete(w.id);
        // etcd fills the ids but leaves revision 0 in a compaction cancel.
        this.#send({ header: this.#deps.header(0), watch_id: w.id, canceled: true, compact_revision: store.compactRevision });
        continue;
      }
      if (w.next > store.revision) w.synced = true;
      else more = true;
    }
    if (more && !this.#blocked) this.#scheduleCatchUp();
  }

  /**
   * Live: the watcher's events of one revision, sent at once, encoded once
   * for every watcher that selects the same events. A watcher that asked for
   * fragments takes the general path, which splits large responses.
   */
  #deliverRevision(w: Watcher, live: LiveRevision): void {
    const { patch, keys } = live;
    if (w.fragment) return this.#deliver(w, this.#collect(w, [patch], Infinity).events, patch.revision);
    const selection: number[] = [];
    for (let i = 0; i < patch.events.length; i++) if (matches(w, patch.events[i]!, keys[i]!)) selection.push(i);
    if (selection.length === 0) return;
    w.active = true;
    this.#send(live.response(w.id, selection, w.prevKv, () => selection.map((i) => this.#outEvent(w, patch, patch.events[i]!).event)));
  }

  /**
   * The watcher's events of `patches` (with prev_kv if asked), stopping
   * before the revision that would make `revisionsMax` revisions with events;
   * `throughRevision` is the last revision taken when it stopped early.
   */
  #collect(w: Watcher, patches: RevisionPatch[], revisionsMax: number): { events: OutEvent[]; throughRevision: number | undefined } {
    const store = this.#deps.store();
    const events: OutEvent[] = [];
    let revisions = 0;
    for (const patch of patches) {
      const before = events.length;
      for (const e of patch.events) {
        const key = e.kv.key.toString('latin1');
        if (!matches(w, e, key)) continue;
        if (events.length === before && revisions === revisionsMax) return { events, throughRevision: patch.revision - 1 };
        events.push(this.#outEvent(w, patch, e, store));
      }
      if (events.length > before) revisions++;
    }
    return { events, throughRevision: undefined };
  }

  /** One event as sent to `w`, with prev_kv when it asked and history still has it. */
  #outEvent(w: Watcher, patch: RevisionPatch, e: RevisionPatch['events'][number], store = this.#deps.store()): OutEvent {
    const out: OutEvent = { event: { type: e.type, kv: e.kv }, bytes: e.kv.key.length + ('value' in e.kv ? e.kv.value.length : 0) + 16 };
    if (w.prevKv && !(e.type === 'PUT' && e.kv.create_revision === e.kv.mod_revision)) {
      const prev = previous(store, e.kv.key, patch.revision);
      if (prev) {
        out.event['prev_kv'] = prev;
        out.bytes += prev.key.length + prev.value.length + 16;
      }
    }
    return out;
  }

  /** Sends events (whole revisions) in one response, or in fragments filled up to the limit when asked. */
  #deliver(w: Watcher, events: OutEvent[], headerRevision: number): void {
    if (events.length === 0) return;
    w.active = true;
    const header = this.#deps.header(headerRevision);
    const total = events.reduce((n, e) => n + e.bytes, responseOverheadBytes);
    if (!w.fragment || total < this.#deps.fragmentBytes || events.length < 2) {
      this.#send({ header, watch_id: w.id, events: events.map((e) => e.event) });
      return;
    }
    // etcd's sendFragments: fill each fragment while it stays under the limit (at least one event).
    let piece: Record<string, unknown>[] = [];
    let size = responseOverheadBytes;
    for (const e of events) {
      if (piece.length > 0 && size + e.bytes >= this.#deps.fragmentBytes) {
        this.#send({ header, watch_id: w.id, events: piece, fragment: true });
        piece = [];
        size = responseOverheadBytes;
      }
      piece.push(e.event);
      size += e.bytes;
    }
    this.#send({ header, watch_id: w.id, events: piece, fragment: false });
  }

  /** A watcher that hit anything but compaction is canceled with the error's text (and the error logged). */
  #cancelFailed(w: Watcher, err: unknown): void {
    this.#deps.log.error('watch canceled by an error', { watchId: w.id, err });
    this.#watchers.delete(w.id);
    const reason = err instanceof Error ? err.message : String(err);
    this.#send({ header: this.#deps.header(this.#deps.store().revision), watch_id: w.id, canceled: true, cancel_reason: reason });
  }

  #send(response: StreamResponse): void {
    if (this.#closed) return;
    if (!this.#deps.write(response)) this.#blocked = true;
  }
}

/** The kv a key had just before `revision`, if history still holds it. */
function previous(store: MvccStore, key: Buffer, revision: number): KeyValue | undefined {
  try {
    return store.kvAt(key, revision - 1);
  } catch (err) {
    if (isCompacted(err)) return undefined;
    throw err;
  }
}

/** The one error a watch treats as "history is gone": etcd's ErrCompacted. */
export function isCompacted(err: unknown): boolean {
  return err instanceof KvError && err.rpcName === 'Compacted';
}
