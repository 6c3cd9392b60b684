// Conflict records (docs/ARCHITECTURE.md §8.2): each value that lost to
// another by transaction tag is recorded once, counted by kind, and kept in a
// bounded ring (newest last), which eckd's Conflicts service lists. Each is
// logged at debug; at info one `conflicts` line per interval at most says
// how many were seen since the last one, with the latest: under concurrent
// writes to shared keys a line per conflict would be most of the log.
import type { ConflictKind, KeyConflict, TaggedStoredValue } from '@eckd/automerge-doc';
import { conflictsCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { ConflictsReply, ConflictsRequest } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Message } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';

const conflictsTotal = counter('eckd_conflicts_total', 'Conflicts this member saw, by kind (winner/loser).');

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
  detectedAtUnixMs: number;
}

export class ConflictLog {
  readonly #kept: number;
  readonly #log: Logger;
  /** by loser identity (key, member, hlc), in insertion order: the ring and the "recorded once" set in one */
  readonly #records = new Map<string, ConflictRecord>();
  readonly #totals: Record<ConflictKind, number> = noConflicts();

  readonly #nowMs: () => number;
  readonly #infoIntervalMs: number;
  /** when the last info line was written; conflicts since then, by kind */
  #infoAtMs = -Infinity;
  #sinceInfo: Record<ConflictKind, number> = noConflicts();

  /** `infoIntervalMs`: ECKD_CONFLICT_LOG_INTERVAL_MS (0: an info line for every conflict). */
  constructor(kept: number, log: Logger, opts: { infoIntervalMs?: number; nowMs?: () => number } = {}) {
    this.#kept = kept;
    this.#log = log;
    this.#nowMs = opts.nowMs ?? Date.now;
    this.#infoIntervalMs = opts.infoIntervalMs ?? conflictLogIntervalDefaultMs;
  }

  /** Records the conflicts not seen before; a loser stays one as long as its key is not written again. */
  record(conflicts: readonly KeyConflict[], detectedAt: number): void {
    for (const c of conflicts) {
      const id = `${c.key}\u0000${c.loser.tag.member}:${c.loser.tag.hlc}`;
      if (this.#records.has(id)) continue;
      const record: ConflictRecord = { key: c.key, kind: c.kind, winner: sideOf(c.winner), loser: sideOf(c.loser), detectedAt, detectedAtUnixMs: this.#nowMs() };
      this.#records.set(id, record);
      if (this.#records.size > this.#kept) this.#records.delete(this.#records.keys().next().value!);
      this.#totals[c.kind]++;
      this.#sinceInfo[c.kind]++;
      conflictsTotal.add(1, { kind: c.kind });
      const fields = { ...record, key: Buffer.from(c.key, 'latin1').toString('utf8') };
      this.#log.debug('conflict', fields);
      if (record.detectedAtUnixMs - this.#infoAtMs < this.#infoIntervalMs) continue;
      this.#log.info('conflicts', { since: this.#sinceInfo, latest: fields, eckd_conflicts_total: { ...this.#totals } });
      this.#infoAtMs = record.detectedAtUnixMs;
      this.#sinceInfo = noConflicts();
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

const noConflicts = (): Record<ConflictKind, number> => ({ 'put/put': 0, 'put/delete': 0, 'delete/put': 0 });

/** ECKD_CONFLICT_LOG_INTERVAL_MS's default: at most one info line about conflicts per 10 s. */
export const conflictLogIntervalDefaultMs = 10_000;

function sideOf(v: TaggedStoredValue): ConflictSide {
  return { member: v.tag.member.toString(), originRevision: v.originRevision.toString(), hlc: v.tag.hlc.toString() };
}

/**
 * The answer to a listing: the kept records newest first, those of the asked
 * key and kind, at most `limit` (0: all); a member without peers has none.
 */
export function conflictListing(conflicts: ConflictLog | undefined, request: NonNullable<ConflictsRequest['list']>): NonNullable<ConflictsReply['list']> {
  const key = request.key && request.key.length > 0 ? Buffer.from(request.key).toString('latin1') : undefined;
  const kind = request.kind || undefined;
  const limit = Number(request.limit ?? 0);
  const matching = (conflicts?.list() ?? []).filter((c) => (key === undefined || c.key === key) && (kind === undefined || c.kind === kind));
  const totals = conflicts?.totals() ?? noConflicts();
  return {
    conflicts: (limit > 0 ? matching.slice(0, limit) : matching).map((c) => ({
      key: Buffer.from(c.key, 'latin1'),
      kind: c.kind,
      winner: sideMessage(c.winner),
      loser: sideMessage(c.loser),
      detected_revision: String(c.detectedAt),
      detected_at_unix_ms: String(c.detectedAtUnixMs),
    })),
    total_by_kind: Object.fromEntries(Object.entries(totals).map(([k, n]) => [k, String(n)])),
  };
}

/** The backend.conflicts subject: a frontend's Conflicts/List. */
export function handleConflicts(conflicts: ConflictLog | undefined, log: Logger): (msg: Message) => void {
  return (msg) => {
    let reply: ConflictsReply;
    try {
      const request = decodeChecked(msg, conflictsCodecs.conflictsRequest, validators.conflictsRequest, log);
      reply = { list: conflictListing(conflicts, request.list ?? {}) };
    } catch (err) {
      reply = { error: unknownWireError(err) };
    }
    msg.respond(conflictsCodecs.conflictsReply.encode(reply));
  };
}

function sideMessage(side: ConflictSide): { member_id: string; origin_revision: string; tag: string } {
  return { member_id: side.member, origin_revision: side.originRevision, tag: side.hlc };
}
