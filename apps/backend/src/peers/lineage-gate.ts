// The lineage rule of peer messages (docs/ARCHITECTURE.md §8.10, rule 6):
// a change of one lineage can never apply to a document of another (every
// base is sequence 1 of the base actor), so each message says which lineage
// its sender is on and a receiver takes only its own lineage's (and, after a
// switch, the one it keeps for peers that have not switched, rule 5). A sender on
// an older lineage is told of this member's (CutNotice); one on a newer
// lineage, or on another lineage of the same number, is dropped, counted and
// logged; a newer sender, like a CutNotice, is handed to `onNewer`, which asks
// it for the decision and rejoins its lineage (lineage-rejoin.ts). Notices and logs go out at most once per sender and reason per
// interval, so a member that keeps sending does not make a storm.
import type { Lineage } from '@eckd/automerge-doc';
import type { CutNotice, LineageStamp } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import { lineageOfStamp } from './lineage-stamp.js';
import type { PeerMember } from './peer-link.js';

const droppedTotal = counter('eckd_peer_lineage_dropped_total', 'Peer messages dropped for another lineage than this member\'s, by reason: older, newer, other (ARCHITECTURE §8.10).');
const noticesTotal = counter('eckd_cut_notices_total', 'CutNotices sent to a member heard on an older lineage, and received (ARCHITECTURE §8.10).');

export type LineageDropReason = 'older' | 'newer' | 'other';

export interface LineageGateOptions {
  /** This member's lineage now (its document's). */
  own: () => Lineage;
  /** The lineage this member switched from while it keeps it (§8.10, 5): its messages are taken too. */
  previous?: () => Lineage | undefined;
  /** CutNotice and the drop log at most once per sender and reason per this (ECKD_PEER_SYNC_TIMEOUT_MS). */
  intervalMs: number;
  /** Tells a member on an older lineage of this one. */
  sendNotice: (to: PeerMember, own: Lineage) => void;
  /** A member heard on a newer lineage (a dropped message or a CutNotice): asked for the decision (rate-limited there). */
  onNewer?: (from: PeerMember) => void;
  log: Logger;
  now?: () => number;
}

export class LineageGate {
  readonly #opts: LineageGateOptions;
  readonly #now: () => number;
  /** per sender and reason (and for notices), when it was last logged or told */
  readonly #lastMs = new Map<string, number>();
  /** messages dropped by reason */
  readonly dropped: Record<LineageDropReason, number> = { older: 0, newer: 0, other: 0 };
  /** CutNotices sent and received */
  readonly notices = { sent: 0, received: 0 };

  constructor(opts: LineageGateOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Whether a message of `from` stamped `stamp` is of this member's lineage; if not, it is dropped, counted, logged (and an older sender told). */
  admits(from: PeerMember, stamp: LineageStamp, subject: string): boolean {
    const own = this.#opts.own();
    const theirs = lineageOfStamp(stamp);
    if (theirs.id === own.id && theirs.cut === own.cut) return true;
    const previous = this.#opts.previous?.();
    if (previous && theirs.id === previous.id && theirs.cut === previous.cut) return true;
    const reason: LineageDropReason = theirs.cut < own.cut ? 'older' : theirs.cut > own.cut ? 'newer' : 'other';
    this.dropped[reason]++;
    droppedTotal.add(1, { reason });
    if (this.#due(`${from.id}/${reason}`)) {
      this.#opts.log.warn('peer message of another lineage dropped', { from: from.name, subject, reason, lineage: theirs.id, cut: theirs.cut, own: own.id, ownCut: own.cut, dropped: this.dropped });
    }
    if (reason === 'newer') this.#opts.onNewer?.(from);
    if (reason === 'older' && this.#due(`${from.id}/notice`)) {
      this.notices.sent++;
      noticesTotal.add(1, { direction: 'sent' });
      this.#opts.sendNotice(from, own);
    }
    return false;
  }

  /** A member says it is on a newer lineage than this one: counted, logged, and handed to `onNewer` when newer indeed. */
  noticeReceived(from: PeerMember, notice: CutNotice): void {
    this.notices.received++;
    noticesTotal.add(1, { direction: 'received' });
    const own = this.#opts.own();
    if (this.#due(`${from.id}/noticed`)) {
      this.#opts.log.warn('a peer is on a newer lineage', { from: from.name, lineage: notice.lineage, cut: Number(notice.cut), own: own.id, ownCut: own.cut });
    }
    if (Number(notice.cut) > own.cut) this.#opts.onNewer?.(from);
  }

  #due(key: string): boolean {
    const now = this.#now();
    const last = this.#lastMs.get(key);
    if (last !== undefined && now - last < this.#opts.intervalMs) return false;
    this.#lastMs.set(key, now);
    return true;
  }
}
