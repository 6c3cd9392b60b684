// The backend's NATS side of replication (docs/ARCHITECTURE.md §8.3): pushes
// its committed changes and sync messages to its peers, and hands what
// arrives from a member of its own cluster and lineage to the replication;
// anything else (another cluster, an unknown or removed member, another
// lineage: lineage-gate.ts, a message that fails to decode) is dropped,
// counted and logged.
import { originalLineage } from '@eckd/automerge-doc';
import type { Lineage } from '@eckd/automerge-doc';
import { codecs, cutCodecs, membersCodecs, validators } from '@eckd/change-codec';
import type { BandReply, LineageStamp, MemberJoin, MemberJoinReply } from '@eckd/change-codec';
import type { ClusterSubjects, NodeIdentity } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { LineageGate } from './lineage-gate.js';
import { lineageOfStamp, stampOf } from './lineage-stamp.js';
import type { SnapshotReply } from './snapshot-serve.js';

/** A member of the configured cluster. */
export interface PeerMember {
  name: string;
  /** 64-bit member id, decimal */
  id: string;
  band: number;
}

/** `lineage`: the id of the lineage the sender stamped (§8.10, 6): this member's, or the one it keeps after a switch. */
export type PeerItem =
  | { kind: 'changes'; from: PeerMember; changes: Uint8Array[]; /** the origin's heads once these were committed */ heads: string[]; lineage: string }
  | { kind: 'sync'; from: PeerMember; round: string; message: Uint8Array; lineage: string };

export interface PeerLinkOptions {
  messenger: Messenger;
  subjects: ClusterSubjects;
  identity: NodeIdentity;
  self: PeerMember;
  /** The members messages go to and are accepted from, as membership stands now (member-set.ts). */
  peers: { peer(id: string): PeerMember | undefined };
  /** This member's lineage now (its document's, §8.10): stamped on what it sends, required of what it takes. Absent: the original. */
  lineage?: () => Lineage;
  /** The lineage kept after a switch (§8.10, 5), whose messages are taken too. */
  previousLineage?: () => Lineage | undefined;
  /** A CutNotice, and a drop's log line, at most once per sender per this (ECKD_PEER_SYNC_TIMEOUT_MS; absent: 1 s). */
  lineageNoticeIntervalMs?: number;
  /** A member heard on a newer lineage (lineage-gate.ts). */
  onNewerLineage?: (from: PeerMember) => void;
  log: Logger;
}

export class PeerLink {
  readonly #opts: PeerLinkOptions;
  readonly #subscriptions: { unsubscribe(): void }[] = [];
  /** messages dropped by reason */
  readonly dropped = { foreignCluster: 0, unknownMember: 0 };
  readonly lineage: LineageGate;
  readonly #ownLineage: () => Lineage;

  constructor(opts: PeerLinkOptions) {
    this.#opts = opts;
    this.#ownLineage = opts.lineage ?? (() => originalLineage);
    this.lineage = new LineageGate({ own: this.#ownLineage, previous: opts.previousLineage, intervalMs: opts.lineageNoticeIntervalMs ?? 1_000, sendNotice: (to, own) => this.#sendNotice(to, own), onNewer: opts.onNewerLineage, log: opts.log });
  }

  /**
   * Delivers every accepted message to `receive`, every storage
   * acknowledgement to `stored`, and every band reservation asked of this
   * member (MemberAdd, §8.5) to `reserve`, which answers with `respond`,
   * every join through this member to `join`, and every snapshot a peer
   * asks of it (the snapshot join, §8.5) to `snapshot`.
   */
  start(
    receive: (item: PeerItem) => void,
    stored: (from: PeerMember, originRevision: number) => void = () => undefined,
    reserve: (from: PeerMember, band: number, member: string, respond: (reply: BandReply) => void) => void = (_f, _b, _m, respond) => respond({ granted: false, holder: '0' }),
    join: (request: MemberJoin, respond: (reply: MemberJoinReply) => void) => void = () => undefined,
    snapshot: (from: PeerMember, reply: SnapshotReply) => void = () => undefined,
  ): void {
    const { messenger, subjects, log } = this.#opts;
    this.#subscriptions.push(
      messenger.subscribe(subjects.changes, (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, codecs.peerChanges, validators.peerChanges, log));
        // Every backend hears its own pushes too.
        if (!m || String(m.origin) === this.#opts.self.id) return;
        const from = this.#accept(m.cluster_id, m.origin, msg.subject, m);
        if (from) receive({ kind: 'changes', from, changes: m.changes, heads: m.heads, lineage: lineageOfStamp(m).id });
      }),
      messenger.subscribe(subjects.sync(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, codecs.peerSync, validators.peerSync, log));
        const from = m && this.#accept(m.cluster_id, m.from, msg.subject, m);
        if (m && from) receive({ kind: 'sync', from, round: String(m.round), message: m.message, lineage: lineageOfStamp(m).id });
      }),
      messenger.subscribe(subjects.stored(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, codecs.peerStored, validators.peerStored, log));
        const from = m && this.#accept(m.cluster_id, m.from, msg.subject, m);
        if (m && from) stored(from, Number(m.origin_revision));
      }),
      messenger.subscribe(subjects.members(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, membersCodecs.bandReserve, validators.bandReserve, log));
        const from = m && this.#accept(m.cluster_id, m.from, msg.subject);
        // An unknown member gets no answer: its add times out there.
        if (m && from) reserve(from, m.band, String(m.member), (reply) => msg.respond(membersCodecs.bandReply.encode(reply)));
      }),
      // A joining node is no member yet (its record has no name): only its cluster is checked.
      messenger.subscribe(subjects.join(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, membersCodecs.memberJoin, validators.memberJoin, log));
        if (m && this.#sameCluster(m.cluster_id, msg.subject)) join(m, (reply) => msg.respond(membersCodecs.memberJoinReply.encode(reply)));
      }),
      // The asker is a peer already: a joiner's name is written before its join is answered.
      messenger.subscribe(subjects.snapshot(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, membersCodecs.snapshotRequest, validators.snapshotRequest, log));
        const from = m && this.#accept(m.cluster_id, m.from, msg.subject);
        if (from) snapshot(from, { send: (chunk) => msg.respond(membersCodecs.snapshotChunk.encode(chunk)), flush: () => messenger.flush() });
      }),
      messenger.subscribe(subjects.cutNotice(this.#opts.self.name), (msg) => {
        const m = decodedOrUndefined(() => decodeChecked(msg, cutCodecs.cutNotice, validators.cutNotice, log));
        const from = m && this.#accept(m.cluster_id, m.from, msg.subject);
        if (m && from) this.lineage.noticeReceived(from, m);
      }),
    );
  }

  stop(): void {
    for (const s of this.#subscriptions.splice(0)) s.unsubscribe();
  }

  pushChanges(changes: Uint8Array[], heads: string[]): void {
    const { identity } = this.#opts;
    this.#opts.messenger.publish(this.#opts.subjects.changes, codecs.peerChanges.encode({ cluster_id: identity.cluster_id, origin: identity.member_id, changes, heads, ...stampOf(this.#ownLineage()) }));
  }

  sendSync(to: PeerMember, round: number, message: Uint8Array): void {
    const { identity } = this.#opts;
    this.#opts.messenger.publish(this.#opts.subjects.sync(to.name), codecs.peerSync.encode({ cluster_id: identity.cluster_id, from: identity.member_id, round, message, ...stampOf(this.#ownLineage()) }));
  }

  /** Tells `origin` that every change of its up to `originRevision` is in this member's Postgres (§8.3). */
  sendStored(origin: PeerMember, originRevision: number): void {
    const { identity } = this.#opts;
    this.#opts.messenger.publish(this.#opts.subjects.stored(origin.name), codecs.peerStored.encode({ cluster_id: identity.cluster_id, from: identity.member_id, origin_revision: originRevision, ...stampOf(this.#ownLineage()) }));
  }

  /** Asks a voter to reserve `band` for the new `member` (MemberAdd); false on a refusal or no answer within `timeoutMs`. */
  async askBand(to: PeerMember, band: number, member: string, timeoutMs: number): Promise<boolean> {
    const { identity, messenger, subjects } = this.#opts;
    const request = membersCodecs.bandReserve.encode({ cluster_id: String(identity.cluster_id), from: String(identity.member_id), band, member });
    try {
      const reply = membersCodecs.bandReply.decode((await messenger.request(subjects.members(to.name), request, { timeoutMs })).data);
      return reply.granted;
    } catch (err) {
      this.#opts.log.warn('band reservation not answered', { to: to.name, band, err });
      return false;
    }
  }

  /**
   * The sender of a message on a subject served beside this link (the cut
   * agreement, cut-link.ts), checked as every peer message is: of this
   * cluster, from a current member, and, with a stamp, of this member's
   * lineage (dropped, counted and logged otherwise).
   */
  admit(clusterId: string | number, memberId: string | number, subject: string, stamp?: LineageStamp): PeerMember | undefined {
    return this.#accept(clusterId, memberId, subject, stamp);
  }

  /** The current peer with this member id (decimal). */
  peer(memberId: string): PeerMember | undefined {
    return this.#opts.peers.peer(memberId);
  }

  /** Tells `to`, heard on an older lineage, which lineage this member is on (§8.10). */
  #sendNotice(to: PeerMember, own: Lineage): void {
    const { identity } = this.#opts;
    const notice = { cluster_id: String(identity.cluster_id), from: String(identity.member_id), lineage: own.id, cut: String(own.cut) };
    this.#opts.messenger.publish(this.#opts.subjects.cutNotice(to.name), cutCodecs.cutNotice.encode(notice));
  }

  #sameCluster(clusterId: string | number, subject: string): boolean {
    if (String(clusterId) === String(this.#opts.identity.cluster_id)) return true;
    this.dropped.foreignCluster++;
    this.#opts.log.warn('peer message from another cluster dropped', { subject, clusterId: String(clusterId), dropped: this.dropped });
    return false;
  }

  /** The sending member when the message is of this cluster, from a current member and (when it carries one) of this member's lineage. */
  #accept(clusterId: string | number, memberId: string | number, subject: string, stamp?: LineageStamp): PeerMember | undefined {
    if (!this.#sameCluster(clusterId, subject)) return undefined;
    const member = this.#opts.peers.peer(String(memberId));
    if (!member) {
      this.dropped.unknownMember++;
      this.#opts.log.warn('peer message from an unknown member dropped', { subject, memberId: String(memberId), dropped: this.dropped });
      return undefined;
    }
    return stamp === undefined || this.lineage.admits(member, stamp, subject) ? member : undefined;
  }
}

/** decodeChecked has logged and counted a bad message already: it is dropped. */
function decodedOrUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}
