// One Observe stream's view of an election (ARCHITECTURE §5f), as etcd's
// Election.Observe sees it: the leader (the first-created key under the
// prefix; when there is none, the first key put under it), then every put
// of that key, and when it is deleted the next leader the same way.
import type { KeyValue, MvccStore, RevisionPatch } from '@eckd/mvcc';
import type { NodeHeader } from '../header.js';
import { firstCreated } from './contender-keys.js';
import type { PrefixWaiter } from './prefix-waits.js';

export interface LeaderUpdate {
  header: NodeHeader;
  kv: KeyValue;
}

export class LeaderObserver implements Omit<PrefixWaiter, 'stopped'> {
  readonly prefix: string;
  /** the leader key followed, Latin-1; undefined while there is none */
  #leader: string | undefined;
  /** revisions up to this one are already reflected in what was looked up */
  #lookedUpAt = 0;
  #lastSent: { key: string; modRevision: number } | undefined;

  constructor(
    private readonly prefixBytes: Buffer,
    /** the frontend's replica (what of it the observer reads) */
    private readonly replica: { readonly store: MvccStore; readonly revision: number },
    private readonly header: (revision: number) => NodeHeader,
    private readonly send: (update: LeaderUpdate) => void,
  ) {
    this.prefix = prefixBytes.toString('latin1');
  }

  /** Looks the leader up on the replica as it is now (also the start of the stream). */
  lookUp(): void {
    const kv = firstCreated(this.replica.store, this.prefixBytes);
    this.#lookedUpAt = this.replica.revision;
    this.#leader = kv?.key.toString('latin1');
    if (kv) this.#sendOnce(this.header(this.replica.revision), kv);
  }

  revision(patch: RevisionPatch, keys: readonly string[]): void {
    if (patch.revision <= this.#lookedUpAt) return;
    for (const [i, event] of patch.events.entries()) {
      const key = keys[i]!;
      if (this.#leader === undefined) {
        // No leader: the first put under the prefix is the next one (a delete changes nothing).
        if (event.type !== 'PUT' || !key.startsWith(this.prefix)) continue;
        this.#leader = key;
        this.#sendOnce(this.header(patch.revision), event.kv);
        return;
      }
      if (key !== this.#leader) continue;
      if (event.type === 'PUT') {
        this.#sendOnce(this.header(patch.revision), event.kv);
      } else {
        this.lookUp();
        return;
      }
    }
  }

  resynced(): void {
    this.lookUp();
  }

  /** Each version of a leader key is sent once, also when a look-up finds it again. */
  #sendOnce(header: NodeHeader, kv: KeyValue): void {
    const key = kv.key.toString('latin1');
    if (this.#lastSent?.key === key && this.#lastSent.modRevision === kv.mod_revision) return;
    this.#lastSent = { key, modRevision: kv.mod_revision };
    this.send({ header, kv });
  }
}
