// The members this backend replicates with (docs/ARCHITECTURE.md §8.5): the
// ones ECKD_INITIAL_CLUSTER names (band = position), overlaid with the member
// table in the document, recomputed after every batch, so a record changed
// here or by a peer changes whom the backend syncs with, pushes to, accepts
// from and counts for the external factor. A removed member is none of
// these; a learner is all but the last. A member that finds itself removed
// replicates with nobody.
import type { MemberRecord } from '@eckd/automerge-doc';
import { memberIdHexOf } from '@eckd/automerge-doc';
import type { Logger } from '@eckd/service-kit';
import type { PeerMember } from './peer-link.js';

/** A member as the table (or the initial list, before its record replicated) says. */
export interface KnownMember extends PeerMember {
  /** 16 hex digits, the member table's key */
  idHex: string;
  learner: boolean;
  removed: boolean;
  peerUrls: string[];
}

export class MemberSet {
  readonly #initial: readonly KnownMember[];
  readonly #selfId: string;
  readonly #log: Logger;
  #known = new Map<string, KnownMember>();
  #active = new Map<string, KnownMember>();
  #selfRemoved = false;

  /** `initial`: the ECKD_INITIAL_CLUSTER members (band = position), or a joining node's member table (§8.5). */
  constructor(initial: readonly (PeerMember & { learner?: boolean; removed?: boolean; peerUrls?: string[] })[], selfId: string, log: Logger) {
    this.#initial = initial.map((m) => ({ name: m.name, id: m.id, band: m.band, idHex: memberIdHexOf(m.id), learner: m.learner ?? false, removed: m.removed ?? false, peerUrls: m.peerUrls ?? [] }));
    this.#selfId = selfId;
    this.#log = log;
    this.refresh([]);
  }

  /** Recomputes the set from the member table (call with the document committed or inside the apply loop). */
  refresh(table: readonly { id: string; record: MemberRecord }[]): void {
    const known = new Map(this.#initial.map((m) => [m.id, m]));
    for (const { id: idHex, record } of table) {
      const id = BigInt(`0x${idHex}`).toString();
      known.set(id, { name: record.name, id, idHex, band: record.band, learner: record.learner, removed: record.removed, peerUrls: record.peerUrls });
    }
    const selfRemoved = known.get(this.#selfId)?.removed ?? false;
    if (selfRemoved && !this.#selfRemoved) this.#log.warn('this member was removed from the cluster: it no longer replicates with any member');
    this.#selfRemoved = selfRemoved;
    this.#known = known;
    // A member added but not started has no name yet: nothing can be addressed to it, so it is known (it can be removed, its band is taken) but no peer.
    this.#active = new Map(selfRemoved ? [] : [...known].filter(([id, m]) => id !== this.#selfId && !m.removed && m.name !== ''));
  }

  /** Whether this member's own record says removed. */
  get selfRemoved(): boolean {
    return this.#selfRemoved;
  }

  isSelf(id: string): boolean {
    return id === this.#selfId;
  }

  /** Every member ever known, removed ones included (ids are never reused). */
  known(id: string): KnownMember | undefined {
    return this.#known.get(id);
  }

  all(): KnownMember[] {
    return [...this.#known.values()];
  }

  /** A member this one exchanges messages with: not removed, not itself, and this one not removed. */
  peer(id: string): PeerMember | undefined {
    return this.#active.get(id);
  }

  peers(): PeerMember[] {
    return [...this.#active.values()];
  }

  /** Whether a member's storage counts for the external factor: an active peer that is no learner. */
  counts(id: string): boolean {
    const m = this.#active.get(id);
    return m !== undefined && !m.learner;
  }
}
