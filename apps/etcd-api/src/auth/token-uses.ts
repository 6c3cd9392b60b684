// When each simple token was last used on any frontend of the node. etcd
// extends a simple token at each use: it lives --auth-token-ttl after its
// last use (server/auth/simple_token.go, resetSimpleToken). eckd's tokens
// are signed, not stored, so the uses are what the frontends share: each
// records its own, and sends them to the others (TokenUseLink), which
// record them at arrival.
import { createHash } from 'node:crypto';
import { tokenIdBytes } from '@eckd/change-codec';

/** A token's id in TokenUses: never the token itself, which would be a credential on the wire. */
export function tokenIdOf(token: string): Buffer {
  return createHash('sha256').update(token).digest().subarray(0, tokenIdBytes);
}

export class TokenUseLog {
  /** token id (hex) → the latest use known here, Unix ms */
  readonly #lastUse = new Map<string, number>();
  /** this frontend's uses not yet sent to the others */
  #unsent = new Set<string>();

  constructor(private readonly ttlMs: number) {}

  /** The latest known use of the token, or undefined (never used, or forgotten TTL after its last use). */
  lastUse(id: Buffer): number | undefined {
    return this.#lastUse.get(id.toString('hex'));
  }

  /** This frontend accepted the token now. */
  used(id: Buffer, now: number): void {
    const key = id.toString('hex');
    this.#record(key, now);
    this.#unsent.add(key);
  }

  /** Another frontend accepted these tokens lately (its message arrived now). */
  heard(ids: readonly Uint8Array[], now: number): void {
    for (const id of ids) this.#record(Buffer.from(id).toString('hex'), now);
  }

  /** This frontend's uses since the last call, to send. */
  takeUnsent(): Buffer[] {
    const ids = [...this.#unsent].map((key) => Buffer.from(key, 'hex'));
    this.#unsent = new Set();
    return ids;
  }

  /** Forgets the uses older than the TTL: those tokens live on their issue time only, which has passed. */
  prune(now: number): void {
    for (const [key, at] of this.#lastUse) if (at + this.ttlMs <= now) this.#lastUse.delete(key);
  }

  get size(): number {
    return this.#lastUse.size;
  }

  #record(key: string, at: number): void {
    if ((this.#lastUse.get(key) ?? -Infinity) < at) this.#lastUse.set(key, at);
  }
}
