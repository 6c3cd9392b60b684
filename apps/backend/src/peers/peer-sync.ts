// Sync rounds with every peer (docs/ARCHITECTURE.md §8.3, "Repair"): one
// Automerge sync state per peer, kept in memory (not yet persisted in
// eckd_peers: after a restart the first round starts from nothing, which
// costs a longer first exchange, not correctness). A round that hears
// nothing back for the timeout is abandoned: the protocol assumes a reliable
// stream, and a lost message would leave it waiting for good.
import { createPeerSync, resetPeerSync } from '@eckd/automerge-doc';
import type { KvDocument, PeerApplyResult, PeerSync } from '@eckd/automerge-doc';
import type { Logger } from '@eckd/service-kit';
import type { PeerLink, PeerMember } from './peer-link.js';

interface PeerRound {
  member: PeerMember;
  sync: PeerSync;
  /** counts resets; sent with every message (for logs and traces) */
  round: number;
  /** when a message went out that nothing has answered yet */
  waitingSinceMs: number | undefined;
}

export class PeerSyncRounds {
  readonly #rounds: Map<string, PeerRound>;
  readonly #link: PeerLink;
  readonly #timeoutMs: number;
  readonly #log: Logger;

  constructor(peers: readonly PeerMember[], link: PeerLink, timeoutMs: number, log: Logger) {
    this.#rounds = new Map(peers.map((member) => [member.id, { member, sync: createPeerSync(), round: 0, waitingSinceMs: undefined }]));
    this.#link = link;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** A peer's sync message (call with the document committed, inside the apply loop). */
  receive(doc: KvDocument, from: PeerMember, message: Uint8Array): PeerApplyResult {
    const r = this.#round(from);
    r.waitingSinceMs = undefined;
    return doc.receiveSyncMessage(r.sync, message);
  }

  /** Sends the peer whatever the protocol has to say now (nothing while it waits for the peer, or when in sync). */
  send(doc: KvDocument, to: PeerMember, nowMs: number): void {
    const r = this.#round(to);
    const message = doc.generateSyncMessage(r.sync);
    if (!message) return;
    this.#link.sendSync(to, r.round, message);
    r.waitingSinceMs ??= nowMs;
  }

  /** Every interval: abandons silent rounds, then starts or continues a round with every peer. */
  tick(doc: KvDocument, nowMs: number): void {
    for (const r of this.#rounds.values()) {
      if (r.waitingSinceMs !== undefined && nowMs - r.waitingSinceMs >= this.#timeoutMs) {
        resetPeerSync(r.sync);
        r.round++;
        r.waitingSinceMs = undefined;
        this.#log.debug('peer sync round abandoned', { peer: r.member.name, round: r.round });
      }
      this.send(doc, r.member, nowMs);
    }
  }

  #round(member: PeerMember): PeerRound {
    const r = this.#rounds.get(member.id);
    if (!r) throw new Error(`backend: no sync state for member ${member.name}`);
    return r;
  }
}
