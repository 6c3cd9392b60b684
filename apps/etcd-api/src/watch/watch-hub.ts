// Every Watch stream of this frontend, fed from the replica: each applied
// revision goes to every stream's synced watchers, and a replaced replica
// sends every watcher back to catch up from history. Also drives the
// progress-notify ticker.
import type { RevisionPatch } from '@eckd/mvcc';
import type { Replica, ReplicaListener } from '../replica.js';
import { LiveRevision } from './live-revision.js';
import { isCompacted } from './watch-stream.js';
import type { WatchStream } from './watch-stream.js';

export class WatchHub implements ReplicaListener {
  readonly #streams = new Set<WatchStream>();
  readonly #ticker: NodeJS.Timeout;

  constructor(
    private readonly replica: Replica,
    private readonly header: (revision: number) => Record<string, unknown>,
    progressNotifyIntervalMs: number,
  ) {
    replica.listen(this);
    this.#ticker = setInterval(() => this.#progressTick(), progressNotifyIntervalMs);
    this.#ticker.unref();
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  /** Watchers of all streams (etcd_mvcc_watcher_total), counted at a scrape. */
  get watcherCount(): number {
    let n = 0;
    for (const s of this.#streams) n += s.watcherCount;
    return n;
  }

  add(stream: WatchStream): void {
    this.#streams.add(stream);
  }

  remove(stream: WatchStream): void {
    stream.close();
    this.#streams.delete(stream);
  }

  applied(from: number, to: number): void {
    if (this.#streams.size === 0) return;
    let patches: RevisionPatch[];
    try {
      patches = this.replica.store.eventsBetween(from + 1, to);
    } catch (err) {
      // Compacted underneath: let every watcher find its own way from history.
      if (isCompacted(err)) this.replaced();
      // Anything else is a fault: every stream ends with it and its clients reconnect.
      else for (const s of [...this.#streams]) s.fail(err);
      return;
    }
    for (const patch of patches) {
      const live = new LiveRevision(patch, this.header);
      for (const s of this.#streams) s.revisionApplied(live);
    }
  }

  replaced(): void {
    for (const s of this.#streams) s.replicaReplaced();
  }

  close(): void {
    clearInterval(this.#ticker);
    for (const s of this.#streams) s.close();
    this.#streams.clear();
  }

  #progressTick(): void {
    if (!this.replica.ready) return;
    for (const s of this.#streams) s.progressTick();
  }
}
