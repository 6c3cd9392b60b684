// The frontend's waiting Lock and Campaign calls and Observe streams
// (ARCHITECTURE §5f), fed like the watch hub: after the replica applies
// revisions, each waiter whose key prefix has events in a revision is told
// about it; a replaced replica tells every waiter to look again. Also holds
// the bound on how many such calls are open at once.
import type { RevisionPatch } from '@eckd/mvcc';
import type { Replica, ReplicaListener } from '../replica.js';
import { EtcdRpcError } from '../to-grpc-error.js';

export interface PrefixWaiter {
  /** the key prefix it waits on, ending with '/', Latin-1 (the form the replica's keys are compared in) */
  readonly prefix: string;
  /** an applied revision with at least one event under the prefix; `keys` are its events' keys, Latin-1, in order */
  revision(patch: RevisionPatch, keys: readonly string[]): void;
  /** revisions may have been skipped (the replica was replaced, or its history compacted underneath): look at the state again */
  resynced(): void;
  /** the frontend is shutting down: give up with `err` */
  stopped(err: Error): void;
}

/** The bound on open calls is reached: etcd's `too many requests`. */
export class WaitsFull extends EtcdRpcError {
  constructor(openMax: number) {
    super('TooManyRequests', `ECKD_CONCURRENCY_WAITS_MAX: ${openMax} lock, campaign and observe calls open`);
  }
}

/** The frontend is shutting down: etcd's `server stopped` (UNAVAILABLE, which clients retry elsewhere). */
export class WaitsStopped extends EtcdRpcError {
  constructor() {
    super('Stopped', 'the frontend is shutting down');
  }
}

export class PrefixWaits implements ReplicaListener {
  /** waiters by prefix: an event's key finds its waiters by its own prefixes up to each '/' */
  readonly #byPrefix = new Map<string, Set<PrefixWaiter>>();
  #open = 0;
  #stopped = false;

  constructor(
    private readonly replica: Pick<Replica, 'listen' | 'store'>,
    /** ECKD_CONCURRENCY_WAITS_MAX */
    private readonly openMax: number,
  ) {
    replica.listen(this);
  }

  /** Takes a place for one call; refused with etcd's `too many requests` past the bound. Give it back with `leave`. */
  enter(): void {
    if (this.#stopped) throw new WaitsStopped();
    if (this.#open >= this.openMax) throw new WaitsFull(this.openMax);
    this.#open++;
  }

  leave(): void {
    this.#open--;
  }

  /** `waiter.prefix` ends with '/', as every contender prefix does. */
  add(waiter: PrefixWaiter): void {
    let set = this.#byPrefix.get(waiter.prefix);
    if (!set) this.#byPrefix.set(waiter.prefix, (set = new Set()));
    set.add(waiter);
  }

  remove(waiter: PrefixWaiter): void {
    const set = this.#byPrefix.get(waiter.prefix);
    set?.delete(waiter);
    if (set?.size === 0) this.#byPrefix.delete(waiter.prefix);
  }

  applied(from: number, to: number): void {
    if (this.#byPrefix.size === 0) return;
    let patches: RevisionPatch[];
    try {
      patches = this.replica.store.eventsBetween(from + 1, to);
    } catch {
      // History gone underneath (compacted): every waiter decides from the state, which needs no history.
      this.replaced();
      return;
    }
    for (const patch of patches) {
      const keys = patch.events.map((e) => e.kv.key.toString('latin1'));
      // The cost is the keys' lengths, not the number of waiters: a key can only be under the prefixes that end at one of its '/'.
      const told = new Set<PrefixWaiter>();
      for (const key of keys) {
        for (let slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', slash + 1)) {
          const set = this.#byPrefix.get(key.slice(0, slash + 1));
          // A waiter may remove itself (or another) while being told.
          for (const w of set ? [...set] : []) {
            if (told.has(w) || !set!.has(w)) continue;
            told.add(w);
            w.revision(patch, keys);
          }
        }
      }
    }
  }

  /**
   * Ends every waiting call before the gRPC server's graceful shutdown,
   * which would otherwise wait for them: each gives up as when its client
   * cancels (a waiting contender deletes its key).
   */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#all()) w.stopped(new WaitsStopped());
  }

  replaced(): void {
    for (const w of this.#all()) w.resynced();
  }

  /** Every waiter, each still checked when its turn comes (an earlier one may have removed it). */
  *#all(): Generator<PrefixWaiter> {
    for (const [prefix, set] of [...this.#byPrefix]) for (const w of [...set]) if (this.#byPrefix.get(prefix)?.has(w)) yield w;
  }
}
