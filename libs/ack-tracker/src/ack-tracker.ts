// Counts acknowledgements for revisions and says when a request's
// replication requirement is met. Pure: the owner keeps the timers and the
// promises; every exit path (released, timed out, shut down) calls
// `release` or `forget` so the registry stays bounded.

/** What must have happened to a revision before its write is acknowledged. */
export interface AckRequirement {
  /** committed to Postgres (synchronous persistence) */
  persisted: boolean;
  /** internal factor: how many frontends of the node applied it (the proposing one included) */
  frontends: number;
  /** external factor: how many other members of the cluster stored it in their Postgres */
  peers: number;
}

export class AckTrackerError extends Error {
  override name = 'AckTrackerError';
}

interface Pending {
  revision: number;
  requirement: AckRequirement;
}

export class AckTracker<Id = number> {
  readonly #pending = new Map<Id, Pending>();
  readonly #frontendApplied = new Map<string, number>();
  readonly #peerStored = new Map<string, number>();
  readonly #pendingMax: number;
  #persisted = 0;

  constructor(opts: { pendingMax: number }) {
    if (!(opts.pendingMax > 0)) throw new AckTrackerError('ack-tracker: pendingMax must be positive');
    this.#pendingMax = opts.pendingMax;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Starts tracking `id` for `revision`. Returns true when the requirement is
   * already met (the caller releases at once and nothing stays tracked).
   */
  track(id: Id, revision: number, requirement: AckRequirement): boolean {
    if (this.#pending.has(id)) throw new AckTrackerError(`ack-tracker: ${String(id)} is already tracked`);
    if (requirement.frontends < 0 || requirement.peers < 0) throw new AckTrackerError('ack-tracker: negative factor');
    if (this.#isMet(revision, requirement)) return true;
    if (this.#pending.size >= this.#pendingMax) throw new AckTrackerError('ack-tracker: too many pending acknowledgements');
    this.#pending.set(id, { revision, requirement });
    return false;
  }

  /** Everything up to `revision` is durable. Returns the ids now satisfied. */
  recordPersisted(revision: number): Id[] {
    if (revision > this.#persisted) this.#persisted = revision;
    return this.#takeSatisfied();
  }

  /** Frontend `frontendId` applied every revision up to `revision`. */
  recordFrontendApplied(frontendId: string, revision: number): Id[] {
    if (revision > (this.#frontendApplied.get(frontendId) ?? 0)) this.#frontendApplied.set(frontendId, revision);
    return this.#takeSatisfied();
  }

  /** Member `member` stored every revision of this node up to `revision` (PeerStored). */
  recordPeerStored(member: string, revision: number): Id[] {
    if (revision > (this.#peerStored.get(member) ?? 0)) this.#peerStored.set(member, revision);
    return this.#takeSatisfied();
  }

  /** A frontend left (it can no longer count towards the internal factor). */
  removeFrontend(frontendId: string): void {
    this.#frontendApplied.delete(frontendId);
  }

  /** Stops tracking `id` (timeout, cancel, shutdown). */
  forget(id: Id): void {
    this.#pending.delete(id);
  }

  /** Ids still pending, for failing them all at shutdown. */
  pendingIds(): Id[] {
    return [...this.#pending.keys()];
  }

  #isMet(revision: number, requirement: AckRequirement): boolean {
    if (requirement.persisted && this.#persisted < revision) return false;
    if (requirement.frontends > 0 && countAtLeast(this.#frontendApplied, revision) < requirement.frontends) return false;
    if (requirement.peers > 0 && countAtLeast(this.#peerStored, revision) < requirement.peers) return false;
    return true;
  }

  #takeSatisfied(): Id[] {
    const released: Id[] = [];
    for (const [id, pending] of this.#pending) {
      if (this.#isMet(pending.revision, pending.requirement)) released.push(id);
    }
    for (const id of released) this.#pending.delete(id);
    return released;
  }
}

function countAtLeast(applied: Map<string, number>, revision: number): number {
  let n = 0;
  for (const r of applied.values()) if (r >= revision) n++;
  return n;
}
