// Releases a write's reply when its replication requirement is met, using
// the shared ack tracker: today "persisted" (the backend answered after the
// Postgres commit) and "applied by this frontend" (its replica reached the
// revision). Every exit — met, timed out, shut down — settles the entry.
import { AckTracker } from '@eckd/ack-tracker';
import type { AckRequirement } from '@eckd/ack-tracker';
import { EtcdRpcError } from './to-grpc-error.js';

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Acknowledger {
  readonly #tracker: AckTracker<number>;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;

  constructor(
    private readonly frontendId: string,
    private readonly requirement: AckRequirement,
    private readonly timeoutMs: number,
    pendingMax = 100_000,
  ) {
    this.#tracker = new AckTracker({ pendingMax });
  }

  /** The backend answered: everything up to `revision` is durable. */
  persisted(revision: number): void {
    this.#release(this.#tracker.recordPersisted(revision));
  }

  /** This frontend's replica applied up to `revision`. */
  applied(revision: number): void {
    this.#release(this.#tracker.recordFrontendApplied(this.frontendId, revision));
  }

  /** Resolves when `revision` meets the requirement; rejects with etcd's timeout error. */
  wait(revision: number): Promise<void> {
    const id = this.#nextId++;
    if (this.#tracker.track(id, revision, this.requirement)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#tracker.forget(id);
        this.#waiting.delete(id);
        reject(new EtcdRpcError('Timeout', `revision ${revision} not acknowledged in time`));
      }, this.timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
    });
  }

  /** Fails everything still waiting (shutdown). */
  close(): void {
    for (const id of this.#tracker.pendingIds()) this.#tracker.forget(id);
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new EtcdRpcError('Stopped'));
    }
    this.#waiting.clear();
  }

  #release(ids: number[]): void {
    for (const id of ids) {
      const w = this.#waiting.get(id);
      if (!w) continue;
      this.#waiting.delete(id);
      clearTimeout(w.timer);
      w.resolve();
    }
  }
}
