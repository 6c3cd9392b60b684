// etcd's leases as the backend keeps them: granted TTL, expiry time on the
// backend's clock, and the keys attached (kept in step with the events of
// every revision). Pure: the caller passes the time and turns expired
// leases into revokes through the normal write path.
import { KvError } from './errors.js';
import type { Event } from './types.js';

/** etcd's minimum TTL with default flags: ceil(1.5 × 1 s election timeout). */
export const leaseTtlMinSeconds = 2;
/** etcd's MaxLeaseTTL. */
export const leaseTtlMaxSeconds = 9_000_000_000;

interface Lease {
  ttl: number;
  expiresAtMs: number;
  keys: Set<string>;
}

export class LeaseStore {
  readonly #leases = new Map<string, Lease>();
  /** key (Latin-1) → lease id, for every key attached to a lease */
  readonly #leaseOfKey = new Map<string, string>();

  has(id: string): boolean {
    return this.#leases.has(id);
  }

  get size(): number {
    return this.#leases.size;
  }

  /**
   * etcd's grant rules: TTL above the maximum → LeaseTTLTooLarge; below the minimum → raised;
   * an existing id (here, or `takenElsewhere`, e.g. another member's lease) → LeaseExist.
   */
  grant(id: string, ttlRequested: number, nowMs: number, takenElsewhere: (id: string) => boolean = () => false): number {
    if (ttlRequested > leaseTtlMaxSeconds) throw new KvError('LeaseTTLTooLarge');
    if (this.#leases.has(id) || takenElsewhere(id)) throw new KvError('LeaseExist');
    const ttl = Math.max(ttlRequested, leaseTtlMinSeconds);
    this.#leases.set(id, { ttl, expiresAtMs: nowMs + ttl * 1000, keys: new Set() });
    return ttl;
  }

  /** Restores a lease after a restart: a full TTL again, as etcd does after a leader change. */
  restore(id: string, ttl: number, nowMs: number): void {
    this.#leases.set(id, { ttl, expiresAtMs: nowMs + ttl * 1000, keys: this.#leases.get(id)?.keys ?? new Set() });
  }

  /** Keys attached to `id`, in byte order (the order etcd deletes them in). Throws LeaseNotFound. */
  keysOf(id: string): string[] {
    const lease = this.#leases.get(id);
    if (!lease) throw new KvError('LeaseNotFound');
    return [...lease.keys].sort();
  }

  /** The keys attached to a lease id, own or not (a peer's lease is no lease here, but its keys carry its id), in key order. */
  keysCarrying(id: string): string[] {
    const keys: string[] = [];
    for (const [key, lease] of this.#leaseOfKey) if (lease === id) keys.push(key);
    return keys.sort();
  }

  /** Forgets the lease (its keys must have been deleted by the caller first). */
  remove(id: string): void {
    const lease = this.#leases.get(id);
    if (!lease) return;
    for (const key of lease.keys) this.#leaseOfKey.delete(key);
    this.#leases.delete(id);
  }

  /** KeepAlive: the new TTL, or 0 for an unknown or expired lease (etcd answers TTL 0, no error). */
  keepAlive(id: string, nowMs: number): number {
    const lease = this.#leases.get(id);
    if (!lease || lease.expiresAtMs <= nowMs) return 0;
    lease.expiresAtMs = nowMs + lease.ttl * 1000;
    return lease.ttl;
  }

  /** TimeToLive: remaining seconds truncated, granted TTL, keys; TTL -1 for an unknown lease. */
  timeToLive(id: string, nowMs: number): { ttl: number; grantedTtl: number; keys: string[] } {
    const lease = this.#leases.get(id);
    if (!lease) return { ttl: -1, grantedTtl: 0, keys: [] };
    return { ttl: Math.max(0, Math.trunc((lease.expiresAtMs - nowMs) / 1000)), grantedTtl: lease.ttl, keys: [...lease.keys].sort() };
  }

  ids(): string[] {
    return [...this.#leases.keys()];
  }

  /** Leases whose time is up, soonest first. */
  expired(nowMs: number): string[] {
    return [...this.#leases.entries()]
      .filter(([, l]) => l.expiresAtMs <= nowMs)
      .sort((a, b) => a[1].expiresAtMs - b[1].expiresAtMs)
      .map(([id]) => id);
  }

  /** Keeps key attachments in step with a revision's events. */
  track(events: readonly Event[]): void {
    for (const e of events) {
      const key = e.kv.key.toString('latin1');
      const before = this.#leaseOfKey.get(key);
      const after = e.type === 'PUT' ? String(e.kv.lease ?? '0') : '0';
      if (before === after) continue;
      if (before !== undefined) {
        this.#leases.get(before)?.keys.delete(key);
        this.#leaseOfKey.delete(key);
      }
      if (after !== '0') {
        const lease = this.#leases.get(after);
        // A key may outlive a lease record only in a replay before the lease is restored.
        if (lease) lease.keys.add(key);
        this.#leaseOfKey.set(key, after);
      }
    }
  }

  /** After a restart: attach keys recorded with a lease id once the leases exist again. */
  attach(key: string, id: string): void {
    this.#leaseOfKey.set(key, id);
    this.#leases.get(id)?.keys.add(key);
  }
}
