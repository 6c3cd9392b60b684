// Conflict records (docs/ARCHITECTURE.md §8.2): each value that lost to
// another by transaction tag is recorded once, counted by kind, and kept in a
// bounded ring (newest last) for a later listing service.
import type { ConflictKind, KeyConflict, TaggedStoredValue } from '@eckd/automerge-doc';
import type { Logger } from '@eckd/service-kit';

export interface ConflictSide {
  /** member id, decimal */
  member: string;
  originRevision: string;
  hlc: string;
}

export interface ConflictRecord {
  /** Latin-1 key */
  key: string;
  kind: ConflictKind;
  winner: ConflictSide;
  loser: ConflictSide;
  /** the local revision at which this member saw it */
  detectedAt: number;
}

export class ConflictLog {
  readonly #kept: number;
  readonly #log: Logger;
  /** by loser identity (key, member, hlc), in insertion order: the ring and the "recorded once" set in one */
  readonly #records = new Map<string, ConflictRecord>();
  readonly #totals: Record<ConflictKind, number> = { 'put/put': 0, 'put/delete': 0, 'delete/put': 0 };

  constructor(kept: number, log: Logger) {
    this.#kept = kept;
    this.#log = log;
  }

  /** Records the conflicts not seen before; a loser stays one as long as its key is not written again. */
  record(conflicts: readonly KeyConflict[], detectedAt: number): void {
    for (const c of conflicts) {
      const id = `${c.key}\u0000${c.loser.tag.member}:${c.loser.tag.hlc}`;
      if (this.#records.has(id)) continue;
      const record: ConflictRecord = { key: c.key, kind: c.kind, winner: sideOf(c.winner), loser: sideOf(c.loser), detectedAt };
      this.#records.set(id, record);
      if (this.#records.size > this.#kept) this.#records.delete(this.#records.keys().next().value!);
      this.#totals[c.kind]++;
      this.#log.info('conflict', { ...record, key: Buffer.from(c.key, 'latin1').toString('utf8'), eckd_conflicts_total: { ...this.#totals } });
    }
  }

  /** Newest first. */
  list(): ConflictRecord[] {
    return [...this.#records.values()].reverse();
  }

  totals(): Readonly<Record<ConflictKind, number>> {
    return { ...this.#totals };
  }
}

function sideOf(v: TaggedStoredValue): ConflictSide {
  return { member: v.tag.member.toString(), originRevision: v.originRevision.toString(), hlc: v.tag.hlc.toString() };
}
