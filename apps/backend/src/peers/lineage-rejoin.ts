// A laggard of a coordinated cut (docs/ARCHITECTURE.md §8.10, 6): a member
// that was down, paused or cut off while the others cut, and hears them on a
// newer lineage (a message the lineage gate dropped, or a CutNotice). It asks
// that member `status` (at most once per sender per ECKD_PEER_SYNC_TIMEOUT_MS,
// one question at a time):
// - one cut behind with the decision of its own lineage's next cut: the
//   coordinator switches as every member does once the document holds H
//   (its own writes outside H translated: nothing lost);
// - more than one cut behind, no decision known, or H not held within
//   ECKD_CUT_CATCH_UP_MS: it takes the responder's document (the snapshot
//   join's stream), writes onto it again its own writes the cluster does not
//   hold (`reexpressOwnWrites`, above its origin watermark there), and at the
//   next batch boundary swaps it in: the key index gets the differences as
//   one revision (what a peer apply makes), and that batch's append carries
//   the new document as a `Rebase`, so a restart loads the new lineage.
// Whatever fails is logged and tried again at a later question; meanwhile
// the member serves on its lineage.
import { changeHeaderOf, decodeChangeOrigin, lineageIdOnWire, loadKvDocument, memberIdHexOf, originWatermarkOf, reexpressOwnWrites } from '@eckd/automerge-doc';
import type { KvDocument, Lineage } from '@eckd/automerge-doc';
import type { CutProposal, CutReply, Rebase } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import type { BatchEffects, NodeState } from '../write-application.js';
import type { ConflictLog } from './conflicts.js';
import { lineageOfStamp } from './lineage-stamp.js';
import { applyTouchedKeys } from './peer-apply.js';
import { holdsHeads } from './held-heads.js';
import type { PeerMember } from './peer-link.js';
import { originsByMember } from './snapshot-join.js';
import type { PeerSnapshot } from './snapshot-stream.js';

const rejoinsTotal = counter('eckd_cut_rejoins_total', "Rejoins of a newer lineage by a member's document, this member's own writes re-expressed (ARCHITECTURE §8.10, 6).");

export interface LineageRejoinOptions {
  state: NodeState;
  self: PeerMember;
  /** Asks `to` for the decision of the cut after `lineage` (the cut link's `status`); the reply names `to`'s lineage. */
  askStatus: (to: PeerMember, lineage: Lineage) => Promise<CutReply>;
  /** The snapshot join's stream from `from` (its ECKD_SNAPSHOT_* limits). */
  fetchSnapshot: (from: PeerMember) => Promise<PeerSnapshot>;
  /** ECKD_PEER_SYNC_TIMEOUT_MS: at most one question per sender per this. */
  intervalMs: number;
  /** ECKD_CUT_CATCH_UP_MS: a decision handed to the coordinator gets this long to switch before a snapshot is taken. */
  catchUpMs: number;
  /** Hands a decision of this member's lineage's next cut to the coordinator. */
  decided: (proposal: CutProposal) => void;
  /** The document was swapped: the coordinator's state of the old lineage goes, every peer's sync state starts over. */
  onRejoined: () => void;
  /** Starts the apply loop when it is idle. */
  wake: () => void;
  log: Logger;
  now?: () => number;
}

interface Fetched {
  doc: KvDocument;
  /** per other member (id, decimal): the highest revision of its the document holds; told by PeerStored once the rebase is stored, as a snapshot join tells them */
  origins: Map<string, number>;
  from: PeerMember;
  bytes: number;
  fetchMs: number;
}

export class LineageRejoin {
  readonly #opts: LineageRejoinOptions;
  readonly #now: () => number;
  /** per sender: when it was last asked */
  readonly #askedMs = new Map<string, number>();
  #busy = false;
  /** a decision handed to the coordinator: its lineage, and since when */
  #catchUp: { lineage: string; sinceMs: number } | undefined;
  #fetched: Fetched | undefined;
  /** a rejoin swapped the document: the next batch with revisions carries it as a rebase */
  #rebaseDue = false;
  /** per origin (member id, decimal) other than this member: the highest revision of its the taken document holds */
  #originsTaken = new Map<string, number>();
  /** the rebase handed out, and the origins it holds, told once its append is stored */
  #rebaseOut: { rebase: Rebase; origins: ReadonlyMap<string, number> } | undefined;
  #stopped = false;

  constructor(opts: LineageRejoinOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** A member was heard on a newer lineage (lineage-gate.ts): asked for the decision, unless asked lately or a question runs. */
  newerHeard(from: PeerMember): void {
    if (this.#stopped || this.#busy || this.#fetched) return;
    const now = this.#now();
    const last = this.#askedMs.get(from.id);
    if (last !== undefined && now - last < this.#opts.intervalMs) return;
    this.#askedMs.set(from.id, now);
    this.#busy = true;
    this.#follow(from)
      .catch((err: unknown) => this.#opts.log.warn('lineage rejoin failed; this member stays on its lineage', { from: from.name, err }))
      .finally(() => {
        this.#busy = false;
      });
  }

  /** A fetched document waits for a batch boundary. */
  hasWork(): boolean {
    return this.#fetched !== undefined;
  }

  /**
   * At the start of a batch's peer step (the document committed): swaps in
   * the fetched document with this member's own writes re-expressed, and
   * brings the key index to it as one revision. Returns whether it did.
   */
  rejoinAt(state: NodeState, effects: BatchEffects, conflicts: ConflictLog): boolean {
    const fetched = this.#fetched;
    this.#fetched = undefined;
    if (!fetched) return false;
    const started = performance.now();
    const previous = state.doc;
    const own = previous.lineage();
    const next = fetched.doc.lineage();
    // The coordinator may have switched meanwhile.
    if (next.cut <= own.cut) {
      fetched.doc.free();
      return false;
    }
    const selfHex = memberIdHexOf(this.#opts.self.id);
    const ownChanges = previous.changesSince([]).filter((bytes) => originMemberOf(bytes) === selfHex);
    const watermark = [originWatermarkOf(fetched.doc.cutStateAt(fetched.doc.heads()), selfHex), fetched.doc.originsHeld().get(selfHex) ?? 0n].reduce((a, b) => (a > b ? a : b));
    const reexpressed = reexpressOwnWrites(fetched.doc, ownChanges, watermark);
    // Every key visible on either side: the index changes where their visible values differ.
    const touched = new Set([...previous.keys(), ...fetched.doc.keys()]);
    this.#originsTaken = fetched.origins;
    state.doc = fetched.doc;
    previous.free();
    const revisions = effects.patches.length;
    applyTouchedKeys(state, effects, touched, conflicts);
    const keysChanged = effects.patches.slice(revisions).reduce((n, p) => n + p.events.length, 0);
    this.#rebaseDue = true;
    this.#catchUp = undefined;
    this.#opts.onRejoined();
    rejoinsTotal.add(1);
    this.#opts.log.info('rejoined a newer lineage from a snapshot', {
      from: fetched.from.name, lineage: next.id, cut: next.cut, previousLineage: own.id, previousCut: own.cut, bytes: fetched.bytes, keysChanged,
      ownChanges: ownChanges.length, watermark: String(watermark), reexpressed: reexpressed.written.length, lost: reexpressed.lost.length,
      fetchMs: fetched.fetchMs, swapMs: Math.round(performance.now() - started),
    });
    if (reexpressed.lost.length > 0) this.#opts.log.warn('own writes that lost to newer values on rejoining', { keys: reexpressed.lost.slice(0, 20), lost: reexpressed.lost.length });
    return true;
  }

  /** The rejoin's rebase waits for a batch with revisions (as a switch's, cut-coordinator.ts). */
  rebaseDue(): boolean {
    return this.#rebaseDue;
  }

  /** The append's rebase: the new lineage's document as this batch leaves it, so a restart loads it. */
  rebaseAt(state: NodeState): Rebase {
    this.#rebaseDue = false;
    const rebase: Rebase = { document: state.doc.save(), heads: state.doc.heads(), key_count: state.store.keyCount(), lineage: lineageIdOnWire(state.doc.lineage()) };
    this.#rebaseOut = { rebase, origins: this.#originsTaken };
    this.#originsTaken = new Map();
    return rebase;
  }

  /**
   * Once `rebase` is stored: if it is this rejoin's, the origins the taken
   * document held (member id → highest revision), for PeerStored; once.
   */
  originsTaken(rebase: Rebase): ReadonlyMap<string, number> {
    if (this.#rebaseOut?.rebase !== rebase) return new Map();
    const { origins } = this.#rebaseOut;
    this.#rebaseOut = undefined;
    return origins;
  }

  stop(): void {
    this.#stopped = true;
    this.#fetched?.doc.free();
    this.#fetched = undefined;
  }

  async #follow(from: PeerMember): Promise<void> {
    const { state, log } = this.#opts;
    const own = state.doc.lineage();
    const reply = await this.#opts.askStatus(from, own);
    const theirs = lineageOfStamp({ lineage: reply.lineage, lineage_cut: reply.cut });
    if (theirs.cut <= own.cut || state.doc.lineage().id !== own.id) return;
    const decision = reply.decided;
    if (theirs.cut === own.cut + 1 && decision && decision.lineage === own.id && Number(decision.cut) === own.cut + 1) {
      if (this.#catchUp?.lineage !== own.id) {
        this.#catchUp = { lineage: own.id, sinceMs: this.#now() };
        log.info('a newer lineage heard: following its cut decision', { from: from.name, lineage: own.id, cut: decision.cut });
        this.#opts.decided(decision);
        return;
      }
      const waited = this.#now() - this.#catchUp.sinceMs;
      if (waited < this.#opts.catchUpMs) return;
      // Holding H, the coordinator's own switch is under way (a build takes seconds on a loaded member): a snapshot
      // would only duplicate it, at the cost of a second document in memory on both sides.
      if (holdsHeads(state.doc, decision.heads)) return;
      log.warn('the cut point not held within ECKD_CUT_CATCH_UP_MS: rejoining from a snapshot', { from: from.name, cut: decision.cut, waitedMs: waited });
    }
    const started = this.#now();
    const snapshot = await this.#opts.fetchSnapshot(from);
    const doc = loadKvDocument({ saved: snapshot.document });
    const lineage = doc.lineage();
    if (lineage.id !== snapshot.lineage.id || lineage.cut !== snapshot.lineage.cut || lineage.cut <= own.cut || this.#stopped) {
      doc.free();
      if (!this.#stopped) log.warn('lineage rejoin: the snapshot is not on the newer lineage it announced', { from: from.name, lineage: lineage.id, cut: lineage.cut, announced: snapshot.lineage.id });
      return;
    }
    const origins = originsByMember(doc);
    origins.delete(this.#opts.self.id);
    this.#fetched = { doc, origins, from, bytes: snapshot.document.length, fetchMs: this.#now() - started };
    this.#opts.wake();
  }
}

/** The member (16 hex digits) a change's origin names, if it names one (the base and a single node's changes do not). */
function originMemberOf(bytes: Uint8Array): string | undefined {
  try {
    const origin = decodeChangeOrigin(changeHeaderOf(bytes).message);
    return origin === undefined ? undefined : memberIdHexOf(origin.member.toString());
  } catch {
    return undefined;
  }
}
