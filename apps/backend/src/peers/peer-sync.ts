// Sync rounds with every peer (docs/ARCHITECTURE.md §8.3, "Repair"): one
// Automerge sync state per peer, restored from Postgres (eckd_peers) at start
// and stored with a batch when its persisted part (the shared heads) changed,
// at most once per store interval per peer, so that a restart does not
// start every round from nothing. A round that hears nothing back for the
// timeout is abandoned: the protocol assumes a reliable stream, and a lost
// message would leave it waiting for good.
//
// Both sides must start over together: Automerge never sends a change again
// that it believes sent, so a peer that lost a message (or restarted) would
// otherwise wait for good. Every PeerSync carries the sender's round, which
// starts at a random value at every start and moves on at every reset; a
// receiver that sees a peer's round change resets its own state with that
// peer. A receiver that finds a gap (changes whose dependencies it lacks)
// resets and moves its round on, so the peer sends them again.
import { randomInt } from 'node:crypto';
import { AutomergeDocError, createPeerSync, encodedPeerSyncOfHeads, encodePeerSync, resetPeerSync } from '@eckd/automerge-doc';
import type { KvDocument, PeerApplyResult, PeerSync } from '@eckd/automerge-doc';
import type { Logger } from '@eckd/service-kit';
import { startSpan } from '@eckd/telemetry';
import type { Span } from '@eckd/telemetry';
import type { PeerLink, PeerMember } from './peer-link.js';

interface PeerRound {
  member: PeerMember;
  sync: PeerSync;
  /** this side's round: random at start, + 1 at every reset */
  round: number;
  /** the peer's round last seen */
  peerRound: string | undefined;
  /** when a message went out that nothing has answered yet */
  waitingSinceMs: number | undefined;
  /** the `peer sync` span of the exchange under way: from that message to its answer or abandonment */
  span: Span | undefined;
  /** a message of the peer's was left for the next tick to answer */
  owesAnswer: boolean;
  /** the latest push of the peer's left this member holding every head the peer had (none: no push yet) */
  pushesCurrent: boolean | undefined;
  /** when that push was applied */
  lastPushMs: number;
  /** the heads of the peer's latest push that left this member current: both hold them */
  pushedHeads: string[] | undefined;
  /** the persisted part as last handed out for storage */
  stored: Uint8Array | undefined;
  storedAtMs: number;
}

export interface PeerSyncRoundsOptions {
  /** The current peers (membership changes them: member-set.ts). */
  peers: () => readonly PeerMember[];
  link: PeerLink;
  timeoutMs: number;
  /** a peer's changed sync state is stored at most this often */
  storeIntervalMs: number;
  /** the stored sync states by member id (decimal) */
  persisted: ReadonlyMap<string, Uint8Array>;
  /** a peer whose last push is older than this gets a round (a lost last push shows so) */
  pushSilenceMs: number;
  /** The peer has stored every change this member had pushed a while ago (its PeerStored): nothing of this member's is missing there. */
  peerHoldsOurs: (member: PeerMember) => boolean;
  log: Logger;
}

/** Rounds start anywhere below this, so a restarted member's rounds differ from its last ones (the wire carries a uint64). */
const roundStartMax = 2 ** 40;

export class PeerSyncRounds {
  readonly #rounds = new Map<string, PeerRound>();
  readonly #peers: () => readonly PeerMember[];
  readonly #persisted: ReadonlyMap<string, Uint8Array>;
  readonly #link: PeerLink;
  readonly #timeoutMs: number;
  readonly #storeIntervalMs: number;
  readonly #pushSilenceMs: number;
  readonly #peerHoldsOurs: (member: PeerMember) => boolean;
  readonly #log: Logger;

  constructor(opts: PeerSyncRoundsOptions) {
    this.#link = opts.link;
    this.#timeoutMs = opts.timeoutMs;
    this.#storeIntervalMs = opts.storeIntervalMs;
    this.#pushSilenceMs = opts.pushSilenceMs;
    this.#peerHoldsOurs = opts.peerHoldsOurs;
    this.#log = opts.log;
    this.#peers = opts.peers;
    this.#persisted = opts.persisted;
  }

  /** The sync states whose persisted part changed since last stored (at most once per interval each), to store with the batch. */
  toStore(nowMs: number): { member: string; state: Uint8Array }[] {
    const out: { member: string; state: Uint8Array }[] = [];
    for (const r of this.#rounds.values()) {
      if (nowMs - r.storedAtMs < this.#storeIntervalMs) continue;
      const state = encodePeerSync(r.sync);
      if (r.stored && Buffer.from(state).equals(Buffer.from(r.stored))) continue;
      r.stored = state;
      r.storedAtMs = nowMs;
      out.push({ member: r.member.id, state });
    }
    return out;
  }

  /**
   * The persisted part of the sync state with every current peer (heads
   * this member and the peer both hold): a member taking this member's
   * snapshot holds them too, so its rounds with those peers start there
   * (the snapshot join, docs/ARCHITECTURE.md §8.5).
   */
  sharedStates(): { member: string; state: Uint8Array }[] {
    return this.#peers().map((member) => ({ member: member.id, state: encodePeerSync(this.#round(member).sync) }));
  }

  #restore(member: PeerMember, stored: Uint8Array | undefined) {
    try {
      return createPeerSync(stored);
    } catch (err) {
      if (!(err instanceof AutomergeDocError)) throw err;
      // A state that no longer decodes only costs a round from nothing.
      this.#log.warn('stored peer sync state not usable, starting afresh', { peer: member.name, err });
      return createPeerSync();
    }
  }

  /**
   * A peer's sync message (call with the document committed, inside the
   * apply loop). `answerNow`: the round is repairing something (the peer's
   * first message or a new round of its, a gap, or changes this member
   * lacked while the peer's pushes do not keep it current), so the answer
   * goes out at once; otherwise the next tick answers, or ends the round.
   * Under steady writes both sides' heads move with every batch, so a round
   * answered at once never ends: a message brings some change whose push is
   * still on its way, every time. It would cost a message and a batch per
   * peer for every batch the peer makes, for what the pushes bring anyway.
   */
  receive(doc: KvDocument, from: PeerMember, round: string, message: Uint8Array): PeerApplyResult & { answerNow: boolean } {
    const r = this.#round(from);
    r.waitingSinceMs = undefined;
    r.span?.end();
    r.span = undefined;
    const newRound = r.peerRound !== round;
    if (r.peerRound !== undefined && newRound) resetPeerSync(r.sync);
    r.peerRound = round;
    const result = doc.receiveSyncMessage(r.sync, message);
    if (result.missingDeps) this.#startOver(r, 'gap');
    const answerNow = newRound || result.missingDeps || (result.applied.length > 0 && r.pushesCurrent !== true);
    r.owesAnswer = !answerNow;
    return { ...result, answerNow };
  }

  /**
   * After a batch applied the peer's pushes: `current` when this member now
   * holds `heads`, every head the peer had when it pushed, i.e. nothing of
   * the peer's is missing here. The next tick then needs no round with it.
   */
  pushesApplied(from: PeerMember, current: boolean, heads: readonly string[], nowMs: number): void {
    const r = this.#round(from);
    r.pushesCurrent = current;
    r.lastPushMs = nowMs;
    if (current) r.pushedHeads = [...heads];
  }

  /** Sends the peer whatever the protocol has to say now (nothing while it waits for the peer, or when in sync). */
  send(doc: KvDocument, to: PeerMember, nowMs: number): void {
    const r = this.#round(to);
    r.owesAnswer = false;
    const message = doc.generateSyncMessage(r.sync);
    if (!message) return;
    this.#link.sendSync(to, r.round, message);
    if (r.waitingSinceMs === undefined) {
      r.waitingSinceMs = nowMs;
      r.span = startSpan('peer sync', { 'eckd.peer': to.name, 'eckd.peer_sync.round': r.round });
    }
  }

  /**
   * Every interval, per peer: no round while pushes keep both sides current
   * (the peer's latest push, recent, left this member holding all the peer
   * had, and the peer has stored what this member pushed a while ago); a
   * round under way then ends, and the sync state starts again from the
   * pushed heads, which both hold, so the stored shared heads keep moving
   * and the next round starts from there. Otherwise: abandons a silent
   * round, then starts or continues one.
   */
  tick(doc: KvDocument, nowMs: number): void {
    const peers = this.#peers();
    // A removed member's round ends with it.
    const current = new Set(peers.map((p) => p.id));
    for (const [id, r] of this.#rounds) {
      if (current.has(id)) continue;
      r.span?.end();
      this.#rounds.delete(id);
    }
    for (const member of peers) {
      const r = this.#round(member);
      const pushesCurrent = r.pushesCurrent === true && nowMs - r.lastPushMs < this.#pushSilenceMs;
      if (pushesCurrent && this.#peerHoldsOurs(member)) {
        this.#rest(r);
        continue;
      }
      if (r.waitingSinceMs !== undefined && nowMs - r.waitingSinceMs >= this.#timeoutMs) this.#startOver(r, 'silent');
      this.send(doc, member, nowMs);
    }
  }

  /**
   * A switch to a cut's lineage (§8.10, 4): every sync state names the old
   * lineage's hashes, so each peer's starts empty on the new one, under a new
   * round (the peer resets its side when it sees it) and is stored afresh.
   */
  startOverAll(): void {
    for (const r of this.#rounds.values()) {
      r.span?.setAttribute('eckd.peer_sync.abandoned', 'switched lineage');
      r.span?.end();
      r.span = undefined;
      r.sync = createPeerSync();
      r.round++;
      r.peerRound = undefined;
      r.waitingSinceMs = undefined;
      r.owesAnswer = false;
      r.pushesCurrent = undefined;
      r.pushedHeads = undefined;
      r.stored = undefined;
      r.storedAtMs = 0;
    }
  }

  /** Ends the round with a peer the pushes keep current, its state starting again from the heads both hold. */
  #rest(r: PeerRound): void {
    r.owesAnswer = false;
    r.waitingSinceMs = undefined;
    r.span?.setAttribute('eckd.peer_sync.ended', 'pushes current');
    r.span?.end();
    r.span = undefined;
    if (r.pushedHeads !== undefined) r.sync = createPeerSync(encodedPeerSyncOfHeads(r.pushedHeads));
    r.pushedHeads = undefined;
  }

  #startOver(r: PeerRound, why: 'silent' | 'gap'): void {
    resetPeerSync(r.sync);
    r.round++;
    r.waitingSinceMs = undefined;
    r.span?.setAttribute('eckd.peer_sync.abandoned', why);
    r.span?.end();
    r.span = undefined;
    this.#log.debug('peer sync round started over', { peer: r.member.name, round: r.round, why });
  }

  /** The member's round, begun from its stored sync state the first time it is needed. */
  #round(member: PeerMember): PeerRound {
    let r = this.#rounds.get(member.id);
    if (!r) {
      const stored = this.#persisted.get(member.id);
      r = { member, sync: this.#restore(member, stored), round: randomInt(roundStartMax), peerRound: undefined, waitingSinceMs: undefined, span: undefined, owesAnswer: false, pushesCurrent: undefined, lastPushMs: 0, pushedHeads: undefined, stored, storedAtMs: 0 };
      this.#rounds.set(member.id, r);
    }
    return r;
  }
}
