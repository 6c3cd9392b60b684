// A coordinated history cut from proposal to the old lineage let go
// (docs/ARCHITECTURE.md §8.10, wiring step 3d), as the apply loop drives it
// between batches:
// - with ECKD_CUT_WITH_PEERS on, a batch after which the document is due by
//   §5b's rule, on the newest lineage this member knows, with no cut in
//   flight and no old lineage kept, calls the proposer with this member's
//   heads at that boundary (asynchronously: writes go on). The members'
//   documents become due at nearly the same op count, so only the cut's
//   preferred proposer (`preferredProposer`) proposes at once; another due
//   member waits ECKD_CUT_ROUND_TIMEOUT_MS for the decision first, and
//   proposes only if none came (the preferred one down, slower, or not
//   proposing);
// - a decision (the proposer's own, or one another member sent) starts the
//   switch once the document holds H (looked at after every batch: the pushes
//   and sync rounds bring it), whatever this member's own setting;
// - once the switch is built, the next batch with revisions awaits
//   `switchAt` and carries its `Rebase` (the apply loop; nowhere else does a
//   batch await it);
// - after the switch the old document and the translator are kept until
//   every member that is not removed has been heard on the new lineage or
//   ECKD_CUT_LAGGARD_HOLD_MS passed: an old-lineage push is applied to the
//   old document, translated, and the translation applied to the new one as
//   a peer's change; once let go, the next append drops its stored changes
//   (AppendRequest.drop_lineage).
import { AutomergeDocError, lineageIdOnWire } from '@eckd/automerge-doc';
import type { KvDocument, Lineage } from '@eckd/automerge-doc';
import type { CutProposal, Rebase } from '@eckd/change-codec';
import type { Logger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import { historyCutDue } from '../history-cut.js';
import type { NodeState } from '../write-application.js';
import type { CutProposer } from './cut-proposer.js';
import { CutSwitch, isCutSwitchError } from './cut-switch.js';
import type { PeerMember } from './peer-link.js';
import { holdsHeads } from './held-heads.js';

const switchesTotal = counter('eckd_cut_switches_total', 'Switches of this member to a coordinated cut\'s lineage (ARCHITECTURE §8.10, 4).');
const proposalsTotal = counter('eckd_cut_proposals_total', 'Coordinated cuts this member proposed, by outcome: chosen (its own value or another), none (given up) (ARCHITECTURE §8.10, 1).');

export interface CutCoordinatorOptions {
  state: NodeState;
  self: PeerMember;
  proposer: CutProposer;
  /** ECKD_CUT_WITH_PEERS: §5b's due rule with ECKD_CUT_OPS and ECKD_REBASE_OPS_PER_KEY; absent: this member never proposes. */
  proposeWhenDue?: { minOps: number; opsPerLiveEntry: number };
  /** the voters now, this member included: each cut's preferred proposer is one of them */
  voters: () => readonly PeerMember[];
  /** ECKD_CUT_ROUND_TIMEOUT_MS: how long a due member that is not the cut's preferred proposer waits for its decision before proposing */
  proposeAfterMs: number;
  /** the largest document an append may carry (half the append bound, §5b) */
  documentBytesMax: number;
  /** ECKD_CUT_LAGGARD_HOLD_MS */
  laggardHoldMs: number;
  /** the members that are not removed, this member excluded: each is to be heard on the new lineage before the old one goes */
  peers: () => readonly PeerMember[];
  /** The document was swapped: every peer's sync state names the old lineage's hashes and starts over. */
  onSwitched: () => void;
  /** Starts the apply loop when it is idle (a switch built, translations to apply). */
  wake: () => void;
  /** the switch's worker; default beside main.js */
  workerUrl?: URL;
  log: Logger;
  now?: () => number;
}

/** The lineage left by this member's switch, kept for peers that have not switched yet (§8.10, 5). */
interface KeptLineage {
  switch: CutSwitch;
  previous: KvDocument;
  lineage: Lineage;
  sinceMs: number;
  /** peers (member ids) heard on the new lineage */
  heard: Set<string>;
}

export class CutCoordinator {
  readonly #opts: CutCoordinatorOptions;
  readonly #now: () => number;
  #proposing = false;
  #decision: CutProposal | undefined;
  #switch: CutSwitch | undefined;
  #kept: KeptLineage | undefined;
  /** translations of old-lineage pushes, to apply to the new document as peers' changes */
  #translations: { from: PeerMember; changes: Uint8Array[] }[] = [];
  /** the lineage let go, whose stored changes the next append drops (AppendRequest.drop_lineage; wire form) */
  #toDrop: string | undefined;
  /** per peer (member id): when it was last heard on this member's lineage; a peer silent past the hold is left out of the floor */
  readonly #lastHeardMs = new Map<string, number>();
  readonly #startedMs: number;
  /** since when this member, not the preferred proposer, has been due for the cut after a lineage ("lineage/cut") */
  #dueSince: { cut: string; sinceMs: number } | undefined;
  /** the decision waits for H: logged once */
  #waitLogged = false;
  #stopped = false;

  constructor(opts: CutCoordinatorOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#startedMs = this.#now();
  }

  /** A decision heard (the acceptor's `onDecided`, or this member's proposer): the next cut of this member's lineage is followed, anything else ignored. */
  decided(proposal: CutProposal): void {
    const lineage = this.#opts.state.doc.lineage();
    if (proposal.lineage !== lineage.id || Number(proposal.cut) !== lineage.cut + 1) return;
    if (this.#decision || this.#switch) return;
    this.#decision = proposal;
    this.#waitLogged = false;
    this.#opts.wake();
  }

  /** The lineage kept after a switch, whose peers' messages are still taken (lineage-gate.ts). */
  previousLineage(): Lineage | undefined {
    return this.#kept?.lineage;
  }

  /**
   * Translations wait to be applied, or a decision whose H is held waits for
   * a batch to start its switch (a quiet cluster would otherwise leave it
   * until the next write). Not while H is missing: the loop would spin.
   */
  hasWork(): boolean {
    return this.#translations.length > 0 || this.#toDrop !== undefined || this.#switchStartable();
  }

  /** The lineage let go, for the batch being evaluated: its append drops that lineage's stored changes, snapshot and record (§8.10, 5). */
  takeLineageToDrop(): string | undefined {
    const lineage = this.#toDrop;
    this.#toDrop = undefined;
    return lineage;
  }

  /** The translations of old-lineage pushes that came back from the worker, for the batch being evaluated. */
  takeTranslations(): { from: PeerMember; changes: Uint8Array[] }[] {
    return this.#translations.splice(0);
  }

  /** A peer was heard on this member's current lineage. */
  heard(from: PeerMember): void {
    this.#kept?.heard.add(from.id);
    this.#lastHeardMs.set(from.id, this.#now());
  }

  /**
   * Old-lineage pushes (the kept lineage's): applied to the old document
   * (dependency checks as §8.3: a change missing its dependencies waits for
   * the sender's own switch, which carries it), then translated on the
   * worker; the translations are applied by a later batch.
   */
  applyOld(pushes: readonly { from: PeerMember; changes: Uint8Array[] }[]): void {
    const kept = this.#kept;
    if (!kept) return;
    for (const { from, changes } of pushes) {
      let applied: Uint8Array[];
      try {
        applied = kept.previous.applyPeerChanges(changes).applied.map((c) => c.bytes);
      } catch (err) {
        if (!(err instanceof AutomergeDocError)) throw err;
        this.#opts.log.warn('old-lineage push not applied', { from: from.name, err });
        continue;
      }
      if (applied.length === 0) continue;
      void kept.switch.translate(applied).then((translated) => {
        // Let go meanwhile (or failed: logged by the switch): the peer's own switch carries these changes.
        if (isCutSwitchError(translated) || this.#kept !== kept) return;
        this.#translations.push({ from, changes: translated.map((t) => t.bytes) });
        this.#opts.wake();
      });
    }
  }

  /** After every batch (the document committed): lets the old lineage go when due, starts a decided switch, or proposes. */
  afterBatch(): void {
    if (this.#stopped) return;
    this.#releaseIfDone();
    if (this.#kept || this.#switch) return;
    if (this.#decision) return this.#startSwitch(this.#decision);
    const due = this.#opts.proposeWhenDue;
    if (due && !this.#proposing && historyCutDue(this.#opts.state, due.minOps, due.opsPerLiveEntry) && !this.#leavesProposalToOther()) this.#propose();
  }

  /** The switch is built: the next batch with revisions switches (the apply loop awaits `switchAt`). */
  switchDue(): boolean {
    return this.#switch?.stage === 'built';
  }

  /**
   * At a batch boundary, the batch evaluated and not yet appended: swaps
   * `state.doc` for the new lineage's document and returns the `Rebase` the
   * batch's append carries (undefined if the switch failed: logged, this
   * member stays on its lineage and a later decision starts over).
   */
  async switchAt(state: NodeState): Promise<Rebase | undefined> {
    const sw = this.#switch;
    if (!sw) return undefined;
    const switched = await sw.switchAt(state.doc, state.store.keyCount());
    this.#switch = undefined;
    this.#decision = undefined;
    if (isCutSwitchError(switched)) {
      this.#opts.log.error('cut switch failed; this member stays on its lineage', { reason: switched.reason, error: switched.error });
      void sw.release();
      return undefined;
    }
    state.doc = switched.doc;
    this.#kept = { switch: sw, previous: switched.previous, lineage: switched.previous.lineage(), sinceMs: this.#now(), heard: new Set() };
    switchesTotal.add(1);
    this.#opts.onSwitched();
    return switched.rebase;
  }

  /** This member rejoined a newer lineage by snapshot (lineage-rejoin.ts): a decision, switch or kept lineage of the old one is moot. */
  rejoined(): void {
    void this.#switch?.release();
    if (this.#kept) {
      this.#kept.previous.free();
      void this.#kept.switch.release();
    }
    this.#switch = undefined;
    this.#kept = undefined;
    this.#decision = undefined;
    this.#translations = [];
  }

  stop(): void {
    this.#stopped = true;
    void this.#switch?.release();
    void this.#kept?.switch.release();
  }

  #propose(): void {
    const { state, self, proposer, log } = this.#opts;
    const lineage = state.doc.lineage();
    // Members not heard on this lineage for the hold (since this backend started, if never) no longer hold tombstones (§8.10, 5).
    const now = this.#now();
    const silent = this.#opts.peers().filter((p) => now - (this.#lastHeardMs.get(p.id) ?? this.#startedMs) >= this.#opts.laggardHoldMs);
    const proposal: CutProposal = { lineage: lineage.id, cut: String(lineage.cut + 1), heads: state.doc.heads(), floor_excluded: silent.map((p) => p.id), proposer: self.id };
    this.#proposing = true;
    log.info('proposing a history cut', { lineage: lineage.id, cut: proposal.cut, ops: state.doc.opCount(), heads: proposal.heads.length, floorExcluded: silent.map((p) => p.name) });
    proposer.propose(proposal).then(
      (outcome) => {
        proposalsTotal.add(1, { outcome: outcome.chosen ? 'chosen' : 'none' });
        if (outcome.chosen) this.decided(outcome.chosen);
        // Given up (the proposer logged it): the next due batch proposes again.
      },
      (err: unknown) => log.error('cut proposal failed', { lineage: lineage.id, cut: proposal.cut, err }),
    ).finally(() => {
      this.#proposing = false;
    });
  }

  /** Due, but the cut's preferred proposer is another voter, and the wait for its decision has not run out. */
  #leavesProposalToOther(): boolean {
    const lineage = this.#opts.state.doc.lineage();
    const cut = lineage.cut + 1;
    if (preferredProposer(this.#opts.voters(), cut)?.id === this.#opts.self.id) return false;
    const key = `${lineage.id}/${cut}`;
    const now = this.#now();
    if (this.#dueSince?.cut !== key) {
      this.#dueSince = { cut: key, sinceMs: now };
      this.#opts.log.debug('cut due; its preferred proposer has the first turn', { lineage: lineage.id, cut, waitMs: this.#opts.proposeAfterMs });
    }
    return now - this.#dueSince.sinceMs < this.#opts.proposeAfterMs;
  }

  #switchStartable(): boolean {
    const decision = this.#decision;
    return decision !== undefined && !this.#switch && !this.#kept && !this.#stopped && holdsHeads(this.#opts.state.doc, decision.heads);
  }

  #startSwitch(decision: CutProposal): void {
    const { state, log } = this.#opts;
    const lineage = state.doc.lineage();
    if (decision.lineage !== lineage.id || Number(decision.cut) !== lineage.cut + 1) {
      this.#decision = undefined;
      return;
    }
    if (!holdsHeads(this.#opts.state.doc, decision.heads)) {
      if (!this.#waitLogged) log.info('cut decided; waiting for its cut point', { lineage: decision.lineage, cut: decision.cut });
      this.#waitLogged = true;
      return;
    }
    const sw = CutSwitch.start(state.doc, decision, { documentBytesMax: this.#opts.documentBytesMax, workerUrl: this.#opts.workerUrl, log });
    if (isCutSwitchError(sw)) {
      log.error('cut switch not started; this member stays on its lineage', { lineage: decision.lineage, cut: decision.cut, reason: sw.reason, error: sw.error });
      this.#decision = undefined;
      return;
    }
    this.#switch = sw;
    void sw.whenBuilt().then((failed) => {
      if (failed && this.#switch === sw) {
        // Logged by the switch; a later decision of the next proposal starts over.
        this.#switch = undefined;
        this.#decision = undefined;
      }
      this.#opts.wake();
    });
  }

  #releaseIfDone(): void {
    const kept = this.#kept;
    if (!kept) return;
    const waiting = this.#opts.peers().filter((p) => !kept.heard.has(p.id));
    const held = this.#now() - kept.sinceMs;
    if (waiting.length > 0 && held < this.#opts.laggardHoldMs) return;
    this.#kept = undefined;
    this.#translations = [];
    kept.previous.free();
    void kept.switch.release();
    // The switch's append (earlier in the append chain) made the new lineage's snapshot the one a load reads.
    this.#toDrop = lineageIdOnWire(kept.lineage);
    this.#opts.log.info('old lineage let go', { lineage: kept.lineage.id, cut: kept.lineage.cut, heldMs: held, notHeard: waiting.map((p) => p.name) });
  }
}

/**
 * The voter whose turn it is to propose cut `cut` (§8.10, 1): the voters by
 * id, the cut number modulo their count, so the turn goes round and every
 * member reckons the same one from the same member table.
 */
export function preferredProposer(voters: readonly PeerMember[], cut: number): PeerMember | undefined {
  if (voters.length === 0) return undefined;
  const byId = [...voters].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  return byId[cut % byId.length];
}
