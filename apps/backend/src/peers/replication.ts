// Replication with the other members of the cluster (docs/ARCHITECTURE.md
// §8.3), as the apply loop sees it: peers' changes and sync messages queue
// here and are applied at the next batch boundary, before the batch's own
// proposals, as one local revision; the batch's change carries this
// member's origin; after its append, the change is pushed to every peer.
// A timer runs the sync rounds that repair what pushes lost.
import type { AppliedChange, ChangeOrigin, EncodedChange, PeerApplyResult } from '@eckd/automerge-doc';
import { AutomergeDocError, memberIdHexOf } from '@eckd/automerge-doc';
import { clusterSubjects, codecs, nodeSubjects } from '@eckd/change-codec';
import type { CutAcceptorState, CutProposal, MemberChangeReply, Rebase, MemberChangeRequest, MemberJoin, MemberJoinReply, NodeIdentity } from '@eckd/change-codec';
import { readFragmentLimits } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { startSpan } from '@eckd/telemetry';
import type { BatchEffects, NodeState } from '../write-application.js';
import { ClockRecordWriter } from './clock-record.js';
import { ConflictLog } from './conflicts.js';
import { CutAgreement } from './cut-agreement.js';
import type { CutAcceptorToStore } from './cut-agreement.js';
import { CutCoordinator } from './cut-coordinator.js';
import { MemberAdds } from './member-add.js';
import { MemberChanges } from './member-changes.js';
import { decideJoin, memberTableOf } from './member-join.js';
import { MemberSet } from './member-set.js';
import { applyTouchedKeys } from './peer-apply.js';
import { deleteKeysOfEndedLeases } from './ended-lease-keys.js';
import type { PeerConfig } from './peer-config.js';
import { PeerLink } from './peer-link.js';
import type { PeerItem, PeerMember } from './peer-link.js';
import { PeerSyncRounds } from './peer-sync.js';
import { ownedBy } from './removed-leases.js';
import { SnapshotServer } from './snapshot-serve.js';
import { holdsHeads } from './held-heads.js';
import { LineageRejoin } from './lineage-rejoin.js';
import { fetchSnapshot } from './snapshot-join.js';

/** Ticks without a push, or without the peer storing what was pushed, after which a round runs. */
const pushSilenceTicks = 5;

type PushItem = Extract<PeerItem, { kind: 'changes' }>;

/** What the apply loop asks of replication at a batch boundary. */
export interface BatchPeers {
  /** Peer messages wait, or this member's record is still to be written. */
  hasWork(): boolean;
  /** Applies what peers sent as one local revision; returns the changes applied (stored with the batch). */
  beforeProposals(state: NodeState, effects: BatchEffects): AppliedChange[];
  /** The origin the batch's change carries. */
  originOf(state: NodeState): ChangeOrigin;
  /** The sync states to store with the batch (those whose persisted part changed). */
  syncStatesToStore(): { member: string; state: Uint8Array }[];
  /**
   * At the end of a batch's evaluation: what to do once its append is
   * committed (push its change to every peer, answer the membership
   * requests it wrote). Later batches may be evaluated before that.
   */
  whenAppended(change: EncodedChange | undefined, lastRevision: number): () => void;
  /**
   * Once an append holding peers' changes, or a rebase, is committed: tells
   * each origin how far it is stored (PeerStored), including what a rejoin's
   * rebase took of it (§8.10, 6).
   */
  afterStored(peerChanges: readonly AppliedChange[], rebase?: Rebase): void;
  /** A voter's state in the cut agreement for the batch's append to carry (AppendRequest.cut_acceptor, §8.10), if one waits. */
  cutAcceptorToStore(): CutAcceptorToStore | undefined;
  /** A lineage let go after a cut, whose stored changes the batch's append drops (AppendRequest.drop_lineage, §8.10, 5), if one waits. */
  lineageToDrop(): string | undefined;
  /** The batch is applied (the document holds what it brought): an accept waiting for its cut point looks again, a decided cut's switch may start, a due member proposes. */
  batchApplied(): void;
  /** A coordinated cut's switch is built: the next batch with revisions switches (§8.10, 4). */
  switchDue(): boolean;
  /** The switch, the batch evaluated and not yet appended: swaps the document and gives the append's rebase (undefined: the switch failed, logged). */
  switchAt(state: NodeState): Promise<Rebase | undefined>;
}

export interface PeerReplicationOptions {
  messenger: Messenger;
  subjectPrefix: string;
  nodeName: string;
  /** The members as this node starts with them (ECKD_INITIAL_CLUSTER, or the table a join answered), itself among them. */
  members: readonly (PeerMember & { learner?: boolean; removed?: boolean; peerUrls?: string[] })[];
  self: PeerMember;
  identity: NodeIdentity;
  config: PeerConfig;
  state: NodeState;
  /** The stored sync state per peer (member id, decimal), from recovery. */
  persistedSyncStates: ReadonlyMap<string, Uint8Array>;
  /**
   * This member started from a peer's snapshot (§8.5): per origin (member
   * id, decimal), the highest revision of its that the snapshot held, now in
   * this member's Postgres. Told to the origin (PeerStored) at start and
   * whenever it starts a sync round with this member.
   */
  snapshotOrigins?: ReadonlyMap<string, number>;
  /** This voter's states in the cut agreement, from recovery (LoadChunk.cut_acceptor_states, §8.10). */
  cutAcceptorStates?: readonly CutAcceptorState[];
  /** The decision of the cut that made the recovered lineage (LoadChunk.cut_record), answered to a laggard's `status`. */
  cutDecision?: CutProposal;
  /**
   * The coordinated cut's switch (§8.10, wiring step 3d): the due rule this
   * member proposes by (ECKD_CUT_WITH_PEERS; absent: it only follows
   * decisions), and the largest document an append may carry.
   */
  cutSwitch?: { proposeWhenDue?: { minOps: number; opsPerLiveEntry: number }; documentBytesMax: number; workerUrl?: URL };
  /** Starts the apply loop when it is idle. */
  wake(): void;
  log: Logger;
}

export class PeerReplication implements BatchPeers {
  readonly #opts: PeerReplicationOptions;
  readonly #self: PeerMember;
  readonly #members: MemberSet;
  readonly #memberChanges: MemberChanges;
  readonly #memberAdds: MemberAdds;
  readonly #link: PeerLink;
  readonly #rounds: PeerSyncRounds;
  readonly #snapshots: SnapshotServer;
  readonly conflicts: ConflictLog;
  readonly #clockRecord: ClockRecordWriter;
  /** The cut agreement (§8.10): its acceptor answers peers; its proposer is called by the coordinator. */
  readonly cut: CutAgreement;
  /** A cut from proposal (ECKD_CUT_WITH_PEERS) or decision to switch, and the old lineage kept after it (§8.10). */
  readonly #cutCoordinator: CutCoordinator;
  /** A laggard of a cut (§8.10, 6): asks a newer member for the decision, or takes its lineage by snapshot. */
  readonly #rejoin: LineageRejoin;
  #inbox: PeerItem[] = [];
  #inboxDropped = 0;
  #memberWritten = false;
  /** This member's client URLs (its live frontends'), written into its record by the next batch when they change. */
  #clientUrls: string[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** per member id: every revision of this node up to it is in that member's Postgres */
  readonly #storedBy = new Map<string, number>();
  #storedChanged = false;
  /** The origin revision of this member's last change: a learner is in sync once its watermark reaches it. */
  #lastOwnRevision = 0;
  /** #lastOwnRevision as it was at each of the last ticks, oldest first: a peer that stored the oldest misses nothing of this member's that is not on its way. */
  readonly #pushedTicksAgo: number[] = new Array<number>(pushSilenceTicks).fill(0);
  /** Nodes asking to join through this member (§8.5): answered after the batch that names them, or at once. */
  #joins: { request: MemberJoin; respond: (reply: MemberJoinReply) => void }[] = [];
  #joinsWritten: { respond: (reply: MemberJoinReply) => void }[] = [];
  #storedTimer: NodeJS.Timeout | undefined;

  constructor(opts: PeerReplicationOptions) {
    this.#opts = opts;
    this.#self = opts.self;
    // Membership (§8.5): whom this member replicates with follows the member table.
    this.#members = new MemberSet(opts.members, this.#self.id, opts.log);
    this.#members.refresh(opts.state.doc.members());
    this.#memberChanges = new MemberChanges(opts.wake, opts.log);
    this.#link = new PeerLink({
      messenger: opts.messenger, subjects: clusterSubjects(opts.subjectPrefix), identity: opts.identity, self: this.#self, peers: this.#members,
      lineage: () => opts.state.doc.lineage(), previousLineage: () => this.#cutCoordinator.previousLineage(), lineageNoticeIntervalMs: opts.config.syncTimeoutMs, log: opts.log,
      onNewerLineage: (from) => this.#rejoin.newerHeard(from),
    });
    this.#memberAdds = new MemberAdds({
      selfIdHex: BigInt(this.#self.id).toString(16).padStart(16, '0'),
      clusterId: String(opts.identity.cluster_id),
      askVoter: (voter, band, member) => this.#link.askBand(voter, band, member, opts.config.bandReserveTimeoutMs),
      wake: opts.wake,
      log: opts.log,
    });
    this.#rounds = new PeerSyncRounds({
      peers: () => this.#members.peers(),
      link: this.#link,
      timeoutMs: opts.config.syncTimeoutMs,
      storeIntervalMs: opts.config.syncStoreIntervalMs,
      persisted: opts.persistedSyncStates,
      pushSilenceMs: pushSilenceTicks * opts.config.syncIntervalMs,
      peerHoldsOurs: (member) => (this.#storedBy.get(member.id) ?? 0) >= this.#pushedTicksAgo[0]!,
      log: opts.log,
    });
    this.#snapshots = new SnapshotServer(opts.config.snapshot, opts.log);
    this.conflicts = new ConflictLog(opts.config.conflictsKept, opts.log, { infoIntervalMs: opts.config.conflictLogIntervalMs });
    this.#clockRecord = new ClockRecordWriter(this.#self.id);
    this.cut = new CutAgreement({
      messenger: opts.messenger,
      subjects: clusterSubjects(opts.subjectPrefix),
      identity: opts.identity,
      self: this.#self,
      link: this.#link,
      members: this.#members,
      state: opts.state,
      limits: opts.config.cut,
      stored: opts.cutAcceptorStates ?? [],
      recorded: opts.cutDecision,
      wake: opts.wake,
      onDecided: (proposal) => this.#cutCoordinator.decided(proposal),
      log: opts.log,
    });
    this.#cutCoordinator = new CutCoordinator({
      state: opts.state,
      self: this.#self,
      proposer: this.cut.proposer,
      proposeWhenDue: opts.cutSwitch?.proposeWhenDue,
      voters: this.cut.voters,
      proposeAfterMs: opts.config.cut.roundTimeoutMs,
      // As main.ts reckons it with the default fragment limits: half of what one sender may send.
      documentBytesMax: opts.cutSwitch?.documentBytesMax ?? readFragmentLimits({}).senderBytesMax / 2,
      workerUrl: opts.cutSwitch?.workerUrl,
      laggardHoldMs: opts.config.cutLaggardHoldMs,
      peers: () => this.#members.peers(),
      onSwitched: () => this.#rounds.startOverAll(),
      wake: opts.wake,
      log: opts.log,
    });
    this.#rejoin = new LineageRejoin({
      state: opts.state,
      self: this.#self,
      askStatus: (to, lineage) => this.cut.link.ask(to, { lineage: lineage.id, cut: String(lineage.cut + 1), op: 'status', status: {} }, opts.config.cut.roundTimeoutMs),
      fetchSnapshot: (from) => fetchSnapshot({ messenger: opts.messenger, subjectPrefix: opts.subjectPrefix, identity: opts.identity, limits: opts.config.snapshot }, from),
      intervalMs: opts.config.syncTimeoutMs,
      catchUpMs: opts.config.cutCatchUpMs,
      decided: (proposal) => this.#cutCoordinator.decided(proposal),
      onRejoined: () => {
        this.#cutCoordinator.rejoined();
        this.#rounds.startOverAll();
      },
      wake: opts.wake,
      log: opts.log,
    });
  }

  start(): void {
    this.#link.start((item) => {
      if (this.#inbox.length >= this.#opts.config.inboxMax) {
        // The next sync round brings whatever this message carried.
        this.#inboxDropped++;
        if (this.#inboxDropped % 1000 === 1) this.#opts.log.warn('peer inbox full, message dropped', { dropped: this.#inboxDropped });
        return;
      }
      this.#inbox.push(item);
      this.#opts.wake();
    }, (from, originRevision) => {
      if (originRevision <= (this.#storedBy.get(from.id) ?? 0)) return;
      this.#storedBy.set(from.id, originRevision);
      this.#storedChanged = true;
    }, (from, band, member, respond) => this.#memberAdds.askedToGrant(from, band, member, respond), (request, respond) => {
      this.#joins.push({ request, respond });
      this.#opts.wake();
    }, (from, reply) => {
      this.#snapshots.serve(from, this.#opts.state.doc, this.#rounds.sharedStates(), reply).catch((err: unknown) => this.#opts.log.warn('snapshot not served', { to: from.name, err }));
    });
    this.cut.start();
    for (const origin of this.#opts.snapshotOrigins?.keys() ?? []) this.#tellSnapshotStored(origin);
    // Batched: one message per interval carries every member's watermark, so a frontend that missed one catches up with the next.
    this.#storedTimer = setInterval(() => this.#publishStored(), this.#opts.config.storedPublishIntervalMs);
    this.#storedTimer.unref();
    // Between batches the document has no pending writes, so a round may run from the timer.
    this.#timer = setInterval(() => {
      this.#rounds.tick(this.#opts.state.doc, Date.now());
      this.#pushedTicksAgo.push(this.#lastOwnRevision);
      this.#pushedTicksAgo.shift();
    }, this.#opts.config.syncIntervalMs);
    this.#opts.wake();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#storedTimer);
    this.#cutCoordinator.stop();
    this.#rejoin.stop();
    this.cut.stop();
    this.#link.stop();
  }

  /** The current peer owning this lease (§8.6), or undefined: this member's, no record, or an owner that is no peer. */
  leaseOwner(leaseId: string): PeerMember | undefined {
    const record = this.#opts.state.doc.lease(leaseId);
    if (!record) return undefined;
    return this.#members.peers().find((p) => ownedBy(record, { idHex: memberIdHexOf(p.id), band: p.band }));
  }

  /** The current peer with this member id (decimal). */
  peer(id: string): PeerMember | undefined {
    return this.#members.peer(id);
  }

  /** Per peer, the highest revision of this member stored in its Postgres (0: none heard yet); for eckd_peer_lag_revisions. */
  storedByPeer(): { name: string; revision: number }[] {
    return this.#members.peers().map((p) => ({ name: p.name, revision: this.#storedBy.get(p.id) ?? 0 }));
  }

  /** The union of this member's live frontends' client URLs, sorted (members.ts); the apply loop writes it into the member table. */
  setClientUrls(urls: string[]): void {
    this.#clientUrls = urls;
    this.#memberWritten = false;
    this.#opts.wake();
  }

  /** MemberAdd, MemberRemove, MemberUpdate, MemberPromote: resolves once the new record is appended, or with the error that refused it. */
  changeMember(change: MemberChangeRequest): Promise<MemberChangeReply> {
    return this.#memberChanges.request(change);
  }

  hasWork(): boolean {
    return this.#inbox.length > 0 || !this.#memberWritten || this.#memberChanges.hasWork() || this.#memberAdds.hasWork() || this.#joins.length > 0 || this.cut.hasWork() || this.#cutCoordinator.hasWork() || this.#rejoin.hasWork();
  }

  beforeProposals(state: NodeState, effects: BatchEffects): AppliedChange[] {
    // First: the inbox's messages of the new lineage then apply to its document. Its revision is checked for ended leases below.
    const peerRevisions = effects.patches.length;
    this.#rejoin.rejoinAt(state, effects, this.conflicts);
    const items = this.#currentLineageItems(state, this.#inbox);
    this.#inbox = [];
    const applied: AppliedChange[] = [];
    const touched = new Set<string>();
    const answer = new Map<string, PeerMember>();
    const take = (result: PeerApplyResult): void => {
      applied.push(...result.applied);
      for (const key of result.touchedKeys) touched.add(key);
    };
    // Sync messages first: a push may depend on changes one of them carries.
    for (const item of items) {
      if (item.kind !== 'sync') continue;
      const result = this.#applied(item, () => this.#rounds.receive(state.doc, item.from, item.round, item.message));
      if (result) take(result);
      if (result?.answerNow) answer.set(item.from.id, item.from);
      // A new round of the peer's: it knows this member now, and may have missed the first PeerStored.
      if (result?.answerNow) this.#tellSnapshotStored(item.from.id);
    }
    const pushes = items.filter((item): item is PushItem => item.kind === 'changes');
    // One `peer push applied` span per push (no-ops unless tracing is on), ended once the batch's pushes are in.
    const spans = pushes.map((push) => startSpan('peer push applied', { 'eckd.peer': push.from.name, 'eckd.peer_push.changes': push.changes.length }));
    for (const result of this.#applyPushes(state, pushes)) {
      take(result);
      // A gap starts a round at once with the members whose pushes came in this batch (the origin among them).
      if (result.missingDeps) for (const push of pushes) answer.set(push.from.id, push.from);
    }
    for (const span of spans) span.end();
    // Translations of old-lineage pushes (§8.10, 5): applied as peers' changes, their revision as any other's.
    for (const { from, changes } of this.#cutCoordinator.takeTranslations()) {
      const result = this.#applied({ kind: 'changes', from, changes, heads: [], lineage: state.doc.lineage().id }, () => state.doc.applyPeerChanges(changes));
      if (result) take(result);
    }
    // Pushes arrive in order per member, so its last one says whether anything of its is still missing here.
    const latest = new Map(pushes.map((push) => [push.from.id, push]));
    const now = Date.now();
    for (const push of latest.values()) this.#rounds.pushesApplied(push.from, holdsHeads(state.doc, push.heads), push.heads, now);
    if (touched.size > 0) applyTouchedKeys(state, effects, touched, this.conflicts);
    for (const peer of answer.values()) this.#rounds.send(state.doc, peer, now);
    // After the sync messages, which need a document without pending writes: a key a peer wrote (or a rejoin took) with a lease that ended here meanwhile is deleted again (§8.6).
    deleteKeysOfEndedLeases(state, effects, effects.patches.slice(peerRevisions));
    this.#writeOwnRecord(state);
    this.#clockRecord.writeIfDue(state);
    this.#members.refresh(state.doc.members());
    this.#memberChanges.apply(state, effects, { members: this.#members, storedBy: (id) => this.#storedBy.get(id) ?? 0, revision: this.#lastOwnRevision, adds: this.#memberAdds });
    this.#memberAdds.apply(state.doc, this.#members);
    this.#applyJoins(state);
    this.#members.refresh(state.doc.members());
    return applied;
  }

  /**
   * Every push in one call: one diff and one pass over the touched keys for
   * the batch, and a push whose dependency arrived after it still applies.
   * If Automerge refuses that call (it decodes every change before applying
   * any), each push is tried alone, so a bad change costs only its own push.
   */
  #applyPushes(state: NodeState, pushes: PushItem[]): PeerApplyResult[] {
    if (pushes.length === 0) return [];
    const applyAlone = (push: PushItem) => this.#applied(push, () => state.doc.applyPeerChanges(push.changes));
    if (pushes.length === 1) return [applyAlone(pushes[0]!)].filter((r) => r !== undefined);
    try {
      return [state.doc.applyPeerChanges(pushes.flatMap((push) => push.changes))];
    } catch (err) {
      if (!(err instanceof AutomergeDocError)) throw err;
      return pushes.map(applyAlone).filter((r) => r !== undefined);
    }
  }

  /** A message Automerge refuses is logged and left to the next sync round. */
  #applied<T>(item: PeerItem, apply: () => T): T | undefined {
    try {
      return apply();
    } catch (err) {
      if (!(err instanceof AutomergeDocError)) throw err;
      this.#opts.log.warn('peer message not applied', { from: item.from.name, kind: item.kind, err });
      return undefined;
    }
  }

  originOf(state: NodeState): ChangeOrigin {
    return { member: BigInt(this.#self.id), revision: BigInt(state.store.revision) };
  }

  syncStatesToStore(): { member: string; state: Uint8Array }[] {
    return this.#rounds.toStore(Date.now());
  }

  whenAppended(change: EncodedChange | undefined, lastRevision: number): () => void {
    // Taken now: the document and the lists move on with the next batches.
    const heads = change ? this.#opts.state.doc.heads() : [];
    const lineage = this.#opts.state.doc.lineage().id;
    const changesAnswered = this.#memberChanges.whenAppended();
    const joins = this.#joinsWritten.splice(0);
    const table = joins.length > 0 ? memberTableOf(this.#opts.state.doc.members()) : [];
    const addsAppended = this.#memberAdds.whenAppended();
    return () => {
      if (change) this.#lastOwnRevision = lastRevision;
      // Also after this member's removal: a member removing itself tells its
      // peers by this push; peers that know of the removal drop what follows.
      // A change of the lineage this batch switched from is not pushed under the new lineage's stamp: its translation is in
      // the new document, and the new lineage's sync rounds bring it to every member (§8.10, 4).
      if (change && this.#opts.state.doc.lineage().id === lineage) this.#link.pushChanges([change.bytes], heads);
      changesAnswered();
      for (const { respond } of joins) respond({ members: table });
      // The voters: every peer that counts (not removed, no learner, started).
      addsAppended(() => this.#members.peers().filter((p) => this.#members.counts(p.id)));
    };
  }

  cutAcceptorToStore(): CutAcceptorToStore | undefined {
    return this.cut.toStore();
  }

  lineageToDrop(): string | undefined {
    return this.#cutCoordinator.takeLineageToDrop();
  }

  batchApplied(): void {
    this.cut.heldChanged();
    this.#cutCoordinator.afterBatch();
  }

  switchDue(): boolean {
    return this.#rejoin.rebaseDue() || this.#cutCoordinator.switchDue();
  }

  switchAt(state: NodeState): Promise<Rebase | undefined> {
    if (this.#rejoin.rebaseDue()) return Promise.resolve(this.#rejoin.rebaseAt(state));
    return this.#cutCoordinator.switchAt(state);
  }

  /**
   * The inbox's messages of this member's lineage; those of the lineage it
   * switched from and keeps (§8.10, 5) go to the old document: pushes are
   * translated, sync rounds are not answered (old-lineage rounds are not
   * built: a member behind catches up by its own switch's translations);
   * any other lineage's (taken before a switch let it go) are dropped.
   */
  #currentLineageItems(state: NodeState, items: PeerItem[]): PeerItem[] {
    const current = state.doc.lineage().id;
    const previous = this.#cutCoordinator.previousLineage()?.id;
    const old: PushItem[] = [];
    const kept = items.filter((item) => {
      if (item.lineage === current) {
        this.#cutCoordinator.heard(item.from);
        return true;
      }
      if (item.lineage === previous && item.kind === 'changes') old.push(item);
      return false;
    });
    if (old.length > 0) this.#cutCoordinator.applyOld(old);
    return kept;
  }

  afterStored(peerChanges: readonly AppliedChange[], rebase?: Rebase): void {
    const highest = new Map<string, number>(rebase ? this.#rejoin.originsTaken(rebase) : []);
    for (const c of peerChanges) {
      if (!c.origin) continue;
      const member = String(c.origin.member);
      highest.set(member, Math.max(highest.get(member) ?? 0, Number(c.origin.revision)));
    }
    for (const [member, revision] of highest) {
      const origin = this.#link.peer(member);
      if (origin) this.#link.sendStored(origin, revision);
    }
  }

  /** PeerStored to `origin` of what this member's snapshot held of it, if anything. */
  #tellSnapshotStored(origin: string): void {
    const revision = this.#opts.snapshotOrigins?.get(origin);
    const peer = this.#link.peer(origin);
    if (revision !== undefined && peer) this.#link.sendStored(peer, revision);
  }

  /** Writes each joining node's name into its record; a restarted node (named already) or a refusal is answered at once. */
  #applyJoins(state: NodeState): void {
    for (const { request, respond } of this.#joins.splice(0)) {
      const decided = decideJoin(request, state.doc.members(), this.#members);
      if ('error' in decided) {
        respond({ error: decided.error, members: [] });
        continue;
      }
      if (!decided.write) {
        respond({ members: memberTableOf(state.doc.members()) });
        continue;
      }
      state.doc.putMember(decided.idHex, decided.record);
      this.#members.refresh(state.doc.members());
      this.#opts.log.info('member joined', { name: decided.record.name, band: decided.record.band, learner: decided.record.learner });
      this.#joinsWritten.push({ respond });
    }
  }

  #publishStored(): void {
    if (!this.#storedChanged) return;
    this.#storedChanged = false;
    // Learners and removed members do not count for the external factor (§8.5).
    const members = [...this.#storedBy].filter(([member]) => this.#members.counts(member)).map(([member, revision]) => ({ member, origin_revision: revision }));
    const subject = nodeSubjects({ prefix: this.#opts.subjectPrefix, node: this.#opts.nodeName }).peerStored;
    this.#opts.messenger.publish(subject, codecs.peerStoredRevisions.encode({ members }));
  }

  /** At the first batch and when the client URLs change: this member's record in the member table, unless it is so already (§8.1). */
  #writeOwnRecord(state: NodeState): void {
    if (this.#memberWritten) return;
    this.#memberWritten = true;
    const idHex = BigInt(this.#self.id).toString(16).padStart(16, '0');
    const stored = state.doc.members().find((m) => m.id === idHex)?.record;
    // A removal is final: this member never writes its record again.
    if (stored?.removed) return;
    // Before any frontend is heard (a restart), the stored URLs stand.
    const clientUrls = this.#clientUrls ?? stored?.clientUrls ?? [];
    if (stored && stored.clientUrls.join(',') === clientUrls.join(',')) return;
    // A joined member's record is the one its join answered (its learner flag and peer URLs), until the document holds it.
    const known = this.#members.known(this.#self.id);
    const record = stored ?? { name: this.#self.name, band: this.#self.band, clientUrls, peerUrls: known?.peerUrls ?? [], learner: known?.learner ?? false, removed: false };
    state.doc.putMember(idHex, { ...record, clientUrls });
  }
}
