// The one place a request waits for a revision (etcd has one too,
// `pkg/wait`): a write until its replication requirement is met
// ("persisted": the backend answered after the Postgres commit; the internal
// factor: this frontend's replica and enough of the node's other frontends
// reached the revision; the external factor: enough other members stored it,
// docs/ARCHITECTURE.md §3), a read until the
// replica serves the read index. One registry, one timeout per wait, one
// stall-recovery path: a wait whose revision the replica has not applied
// after `stallResyncMs` means a patch was lost (the backend has published
// that revision: a write reply or a read index said so), so the replica
// resyncs rather than wait for a patch that may never come (on a quiet node
// no later patch would reveal the gap). Every exit — met, timed out, shut
// down — settles the entry.
import { AckTracker, AckTrackerError } from '@eckd/ack-tracker';
import type { AckRequirement } from '@eckd/ack-tracker';
import type { Logger } from '@eckd/service-kit';
import type { ReplicationFactors } from './replication-factors.js';
import { EtcdRpcError } from './to-grpc-error.js';

export interface AcknowledgerOptions {
  frontendId: string;
  /** the node's replication factors, unless a request names its own (ECKD_INTERNAL_FACTOR, ECKD_EXTERNAL_FACTOR) */
  factors: ReplicationFactors;
  /** a request's whole deadline (etcd's request timeout) */
  timeoutMs: number;
  /** waits registered at once; beyond, etcd's "too many requests" (ECKD_REVISION_WAITS_MAX) */
  waitsMax: number;
  /** how long a published revision may take to reach the replica before it resyncs (ECKD_STALL_RESYNC_MS) */
  stallResyncMs: number;
  log: Logger;
}

interface Waiting {
  revision: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  stall: NodeJS.Timeout;
}

export class Acknowledger {
  readonly #opts: AcknowledgerOptions;
  readonly #tracker: AckTracker<number>;
  readonly #waiting = new Map<number, Waiting>();
  /** What the replica has applied; undefined while it (re)loads its state. */
  #applied: number | undefined;
  #resync: () => void = () => undefined;
  #nextId = 1;

  constructor(opts: AcknowledgerOptions) {
    this.#opts = opts;
    this.#tracker = new AckTracker({ pendingMax: opts.waitsMax });
  }

  /** The replica's way to recover from a lost patch. */
  onStall(resync: () => void): void {
    this.#resync = resync;
  }

  /** The backend answered: everything up to `revision` is durable. */
  persisted(revision: number): void {
    this.#release(this.#tracker.recordPersisted(revision));
  }

  /** This frontend's replica applied up to `revision`. */
  applied(revision: number): void {
    this.#applied = revision;
    this.#release(this.#tracker.recordFrontendApplied(this.#opts.frontendId, revision));
  }

  /** Another frontend of this node applied up to `revision` (FrontendApplied). */
  frontendApplied(frontendId: string, revision: number): void {
    if (frontendId === this.#opts.frontendId) return;
    this.#release(this.#tracker.recordFrontendApplied(frontendId, revision));
  }

  /** Member `member` stored this node's revisions up to `revision` (PeerStoredRevisions). */
  peerStored(member: string, revision: number): void {
    this.#release(this.#tracker.recordPeerStored(member, revision));
  }

  /** What this frontend's replica has applied; undefined while it (re)loads its state. */
  get appliedRevision(): number | undefined {
    return this.#applied;
  }

  /** The replica is replacing its state: nothing counts as applied until it says so again. */
  replicaReset(): void {
    this.#applied = undefined;
    this.#tracker.removeFrontend(this.#opts.frontendId);
  }

  /**
   * Resolves when the write at `revision` is persisted and meets the
   * replication factors (the request's own where it names them, else the
   * node's), within what is left of the deadline of a request begun at
   * `startedAt`. A factor no frontends or members can meet waits out the
   * deadline: the write stands, the reply is etcd's "request timed out".
   */
  waitForWrite(revision: number, startedAt: number, requested?: Partial<ReplicationFactors>): Promise<void> {
    const requirement = {
      persisted: true,
      frontends: requested?.internal ?? this.#opts.factors.internal,
      peers: requested?.external ?? this.#opts.factors.external,
    };
    return this.#wait(revision, requirement, this.#opts.timeoutMs - (Date.now() - startedAt));
  }

  /** Resolves once the replica serves `revision` (0: once it has loaded its state at all). */
  waitForApplied(revision: number, timeoutMs: number): Promise<void> {
    return this.#wait(revision, { persisted: false, frontends: 1, peers: 0 }, timeoutMs);
  }

  /** Fails everything still waiting (shutdown). */
  close(): void {
    for (const [id, w] of this.#waiting) {
      this.#tracker.forget(id);
      clearTimeout(w.timer);
      clearTimeout(w.stall);
      w.reject(new EtcdRpcError('Stopped'));
    }
    this.#waiting.clear();
  }

  /** Registered waits (for tests and bounds). */
  get waitingCount(): number {
    return this.#waiting.size;
  }

  #wait(revision: number, requirement: AckRequirement, timeoutMs: number): Promise<void> {
    const id = this.#nextId++;
    try {
      if (this.#tracker.track(id, revision, requirement)) return Promise.resolve();
    } catch (err) {
      if (err instanceof AckTrackerError) return Promise.reject(new EtcdRpcError('TooManyRequests', err.message));
      throw err;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forget(id);
        reject(new EtcdRpcError('Timeout', `revision ${revision} not reached in time`));
      }, Math.max(0, timeoutMs));
      const stall = setTimeout(() => this.#checkStall(revision), this.#opts.stallResyncMs);
      stall.unref();
      this.#waiting.set(id, { revision, resolve, reject, timer, stall });
    });
  }

  #checkStall(revision: number): void {
    // While the replica loads its state a resync is already under way.
    if (this.#applied === undefined || this.#applied >= revision) return;
    this.#opts.log.warn('published revision not received, resyncing', { applied: this.#applied, awaited: revision });
    this.#resync();
  }

  #forget(id: number): void {
    const w = this.#waiting.get(id);
    if (!w) return;
    this.#tracker.forget(id);
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    clearTimeout(w.stall);
  }

  #release(ids: number[]): void {
    for (const id of ids) {
      const w = this.#waiting.get(id);
      this.#forget(id);
      w?.resolve();
    }
  }
}
