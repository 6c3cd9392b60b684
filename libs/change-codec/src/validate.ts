// What a receiver checks in a decoded message before using it: ranges,
// sizes, required ids. One validator per message type a service receives;
// each returns a BadMessageError (never throws), and `validated` turns it
// into a throw at the receiver, which logs, counts and drops or answers it
// (docs/ARCHITECTURE.md §4, "Trust and permissions"). Checks against the
// receiver's own state (a patch past a gap, a compaction in the future)
// stay with the receiver.
import { tokenIdBytes } from './auth-messages.js';
import type { AuthState, TokenUses } from './auth-messages.js';
import type { ConflictsReply, ConflictsRequest } from './conflicts-messages.js';
import type { BackupChunk, BackupRequest, MaintenanceReply, MaintenanceRequest, StorageReply, StorageRequest } from './maintenance-messages.js';
import type { CutBallot, CutBaseChunk, CutBaseRequest, CutNotice, CutProposal, CutReply, CutRequest } from './cut-messages.js';
import type { BandReserve, FrontendAnnouncement, MemberJoin, MemberJoinReply, MemberChangeRequest, MembersReply, SnapshotChunk, SnapshotRequest } from './members-messages.js';
import type {
  AppendReply,
  AppendRequest,
  CompactorRunReply,
  CompactorRunRequest,
  FrontendApplied,
  Int64,
  LoadChunk,
  LoadRequest,
  PatchBatch,
  PeerChanges,
  PeerStored,
  PeerStoredRevisions,
  PeerSyncState,
  PeerSync,
  ProposeReply,
  ProposeRequest,
  ReadIndexReply,
  RevisionPatch,
  SyncChunk,
} from './messages.js';

export class BadMessageError extends Error {
  override name = 'BadMessageError';
  constructor(
    readonly messageType: string,
    readonly problem: string,
  ) {
    super(`change-codec: bad ${messageType}: ${problem}`);
  }
}

export type Validator<T> = (message: T) => BadMessageError | undefined;

/** Limits of what one message may carry. */
export const messageLimits = Object.freeze({
  /** a frontend id is `<node>-<pid>-<hex>`; node names are at most 63 characters */
  frontendIdCharsMax: 256,
  /** proposals in one ProposeRequest (a frontend batches at most ECKD_BATCH_PROPOSALS_MAX-sized turns) */
  proposalsMax: 65_536,
  /** alarms in one stored maintenance state (one per member and kind) */
  alarmsMax: 1024,
  /** changes in one PeerChanges or AppendRequest.peer_changes (a batch pushes one; a sync round may apply more) */
  peerChangesMax: 65_536,
  /** peers one message may name (a cluster has at most 32 members today) */
  peersMax: 1024,
  /** heads of one document (one per concurrent writer) */
  headsMax: 1024,
  /** document bytes in one SnapshotChunk: a snapshot streams in pieces of 512 KiB, under NATS's 1 MiB payload */
  snapshotChunkBytesMax: 512 * 1024,
  /** client URLs one frontend announces (--advertise-client-urls) */
  clientUrlsMax: 64,
  /** characters of one client URL */
  clientUrlCharsMax: 2048,
  /** bytes of the base in one CutBaseChunk (the base streams in pieces like a sync or load reply) */
  cutBaseChunkBytesMax: 512 * 1024,
  /** actors named in one CutBaseChunk's sequences inside the cut */
  cutActorsMax: 65_536,
  /** token ids in one TokenUses (18 bytes each on the wire: 288 KiB, under NATS's 1 MiB payload); a frontend sends more in several */
  tokenIdsMax: 16_384,
});

const automergeHash = /^[0-9a-f]{64}$/;

/** The kinds of eckdserverpb.Conflict: the winner's operation, then the loser's. */
export const conflictKinds: readonly string[] = Object.freeze(['put/put', 'put/delete', 'delete/put']);

const actorHex = /^(?:[0-9a-f]{2}){1,32}$/;

/** The message as is when valid; throws its BadMessageError otherwise. */
export function validated<T>(message: T, validator: Validator<T>): T {
  const bad = validator(message);
  if (bad !== undefined) throw bad;
  return message;
}

/** An int64 field (decoded as a decimal string) as a safe integer within [min, MAX_SAFE_INTEGER], else undefined. */
function intIn(value: Int64 | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/** A checker that records the first problem of one message. */
function checker(messageType: string) {
  let problem: string | undefined;
  const fail = (what: string): void => {
    problem ??= what;
  };
  return {
    /** a revision: 0 or more (compact revisions: -1 means none) */
    revision(name: string, value: Int64 | undefined, min = 0): number {
      const n = intIn(value, min);
      if (n === undefined) fail(`${name} ${String(value)} is not a revision`);
      return n ?? 0;
    },
    count(name: string, value: number | Int64 | undefined, max = Number.MAX_SAFE_INTEGER): void {
      const n = intIn(value, 0);
      if (n === undefined || n > max) fail(`${name} ${String(value)} is out of range`);
    },
    that(ok: boolean, what: string): void {
      if (!ok) fail(what);
    },
    result(): BadMessageError | undefined {
      return problem === undefined ? undefined : new BadMessageError(messageType, problem);
    },
  };
}

type Checker = ReturnType<typeof checker>;

/** A uint64 id (decimal string) other than 0. */
function isMemberId(value: string | undefined): boolean {
  return value !== undefined && /^[1-9]\d*$/.test(String(value));
}

function checkBallot(c: Checker, ballot: CutBallot | null | undefined): void {
  c.that(ballot !== undefined && ballot !== null, 'a cut step needs its ballot');
  if (!ballot) return;
  c.that(isMemberId(ballot.round), `ballot round ${String(ballot.round)} must be 1 or more`);
  c.that(isMemberId(ballot.member), 'a ballot names its proposer');
}

function checkProposal(c: Checker, proposal: CutProposal | null | undefined, request?: { lineage: string; cut: string }): void {
  c.that(proposal !== undefined && proposal !== null, 'a cut step needs its proposal');
  if (!proposal) return;
  c.that(automergeHash.test(proposal.lineage), 'a proposal names its lineage (an Automerge hash)');
  c.that(isMemberId(proposal.cut), `cut ${String(proposal.cut)} must be 1 or more`);
  c.that(proposal.heads.length > 0 && proposal.heads.length <= messageLimits.headsMax && proposal.heads.every((h) => automergeHash.test(h)), `a proposal has 1 to ${messageLimits.headsMax} heads, each an Automerge hash`);
  c.that(proposal.floor_excluded.length <= messageLimits.peersMax && proposal.floor_excluded.every(isMemberId), 'members left out of the floor are member ids');
  c.that(isMemberId(proposal.proposer), 'a proposal names its proposer');
  if (request) c.that(proposal.lineage === request.lineage && String(proposal.cut) === String(request.cut), 'a proposal is for the cut its request names');
}

/** A validator that records the first problem of each message it checks. */
function validator<T>(messageType: string, check: (message: T, c: Checker) => void): Validator<T> {
  return (message) => {
    const c = checker(messageType);
    check(message, c);
    return c.result();
  };
}

function checkPatches(c: Checker, patches: readonly RevisionPatch[]): number {
  let previous = 0;
  for (const p of patches) {
    const revision = c.revision('patch revision', p.revision, 1);
    c.that(revision > previous, `patch revisions must ascend (${revision} after ${previous})`);
    c.that(Array.isArray(p.events), 'a patch needs its events');
    previous = revision;
  }
  return previous;
}

function checkPeerSyncStates(c: Checker, states: readonly PeerSyncState[] | undefined): void {
  const list = states ?? [];
  c.that(list.length <= messageLimits.peersMax, `${list.length} peer sync states (at most ${messageLimits.peersMax})`);
  for (const s of list) c.that(String(s.member) !== '0' && s.state.length > 0, 'a peer sync state needs its member and bytes');
}

/** For a request that carries nothing: it only has to decode. */
const nothingToCheck = (): undefined => undefined;

export const validators = Object.freeze({
  compactorRunRequest: nothingToCheck satisfies Validator<CompactorRunRequest>,

  proposeRequest: validator<ProposeRequest>('ProposeRequest', (m, c) => {
    c.that(m.frontend_id.length > 0 && m.frontend_id.length <= messageLimits.frontendIdCharsMax, 'frontend_id must be 1 to 256 characters');
    c.that(m.proposals.length > 0 && m.proposals.length <= messageLimits.proposalsMax, `${m.proposals.length} proposals (1 to ${messageLimits.proposalsMax})`);
    const ids = new Set<string>();
    for (const p of m.proposals) {
      c.count('proposal id', p.id);
      c.that(!ids.has(String(p.id)), `proposal id ${String(p.id)} twice`);
      ids.add(String(p.id));
      c.that(p.op !== undefined && p[p.op] !== undefined && p[p.op] !== null, `proposal ${String(p.id)} has no operation`);
    }
  }),

  proposeReply: validator<ProposeReply>('ProposeReply', (m, c) => {
    for (const r of m.results) {
      c.count('result id', r.id);
      c.revision('result revision', r.revision);
    }
  }),

  readIndexReply: validator<ReadIndexReply>('ReadIndexReply', (m, c) => {
    c.revision('revision', m.revision);
  }),

  patchBatch: validator<PatchBatch>('PatchBatch', (m, c) => {
    c.that(m.identity !== null && m.identity !== undefined, 'a patch batch needs the node identity');
    const last = checkPatches(c, m.patches);
    const compact = c.revision('compact_revision', m.compact_revision, -1);
    c.that(m.patches.length === 0 || compact <= last, `compact_revision ${compact} is past the batch's last revision ${last}`);
  }),

  syncChunk: validator<SyncChunk>('SyncChunk', (m, c) => {
    c.count('index', m.index);
    const revision = c.revision('revision', m.revision);
    const compact = c.revision('compact_revision', m.compact_revision, -1);
    c.that(compact <= revision, `compact_revision ${compact} is past revision ${revision}`);
    c.that(checkPatches(c, m.patches) <= revision, 'a patch is past the chunk revision');
  }),

  loadRequest: validator<LoadRequest>('LoadRequest', (m, c) => {
    c.that(/^[0-9a-f]{1,64}$/.test(m.backend), 'backend must be its epoch, 1 to 64 hex characters');
  }),

  appendRequest: validator<AppendRequest>('AppendRequest', (m, c) => {
    c.that((m.actor.length > 0) === (m.change.length > 0), 'actor and change go together');
    const seq = c.revision('seq', m.seq);
    c.that(m.change.length === 0 || seq >= 1, 'a change needs its sequence (>= 1)');
    const first = c.revision('first_revision', m.first_revision);
    const last = c.revision('last_revision', m.last_revision);
    c.that(first === 0 ? m.patch_batch.length === 0 : last >= first, `revisions ${first}..${last} are impossible`);
    if (m.compacted) c.that(c.revision('compact_revision', m.compact_revision) <= Math.max(last, first), 'compact_revision is past the batch');
    if (m.rebase) c.revision('rebase key_count', m.rebase.key_count);
    const peerChanges = m.peer_changes ?? [];
    c.that(peerChanges.length <= messageLimits.peerChangesMax, `${peerChanges.length} peer changes (at most ${messageLimits.peerChangesMax})`);
    for (const p of peerChanges) {
      c.that(p.actor.length > 0 && p.change.length > 0, 'a peer change needs its actor and bytes');
      c.that(c.revision('peer change seq', p.seq) >= 1, 'a peer change needs its sequence (>= 1)');
    }
    checkPeerSyncStates(c, m.peer_sync_states);
    c.count('append_index', m.append_index ?? 0);
  }),

  peerChanges: validator<PeerChanges>('PeerChanges', (m, c) => {
    c.that(String(m.origin) !== '0', 'origin must be a member id');
    c.that(m.changes.length > 0 && m.changes.length <= messageLimits.peerChangesMax, `${m.changes.length} changes (1 to ${messageLimits.peerChangesMax})`);
    c.that(m.heads.length <= messageLimits.headsMax && m.heads.every((h) => automergeHash.test(h)), 'heads must be Automerge hashes');
  }),

  peerSync: validator<PeerSync>('PeerSync', (m, c) => {
    c.that(String(m.from) !== '0', 'from must be a member id');
    c.that(m.message.length > 0, 'a sync message is not empty');
  }),

  peerStored: validator<PeerStored>('PeerStored', (m, c) => {
    c.that(String(m.from) !== '0', 'from must be a member id');
    c.revision('origin_revision', m.origin_revision);
  }),

  frontendApplied: validator<FrontendApplied>('FrontendApplied', (m, c) => {
    c.that(m.frontend_id.length > 0 && m.frontend_id.length <= messageLimits.frontendIdCharsMax, 'frontend_id must be a frontend id');
    c.revision('revision', m.revision);
  }),

  peerStoredRevisions: validator<PeerStoredRevisions>('PeerStoredRevisions', (m, c) => {
    c.that(m.members.length <= messageLimits.peersMax, `${m.members.length} members (at most ${messageLimits.peersMax})`);
    for (const s of m.members) {
      c.that(String(s.member) !== '0', 'member must be a member id');
      c.revision('origin_revision', s.origin_revision);
    }
  }),

  appendReply: validator<AppendReply>('AppendReply', (m, c) => {
    c.revision('durable_revision', m.durable_revision);
  }),

  loadChunk: validator<LoadChunk>('LoadChunk', (m, c) => {
    c.count('index', m.index);
    c.revision('compact_revision', m.compact_revision, -1);
    checkPeerSyncStates(c, m.peer_sync_states);
    if (m.snapshot) {
      const through = c.revision('snapshot through_revision', m.snapshot.through_revision);
      c.that(c.revision('snapshot index_revision', m.snapshot.index_revision) <= through, 'the snapshot index is past the snapshot');
      c.count('snapshot document_bytes', m.snapshot.document_bytes);
      c.count('snapshot index_bytes', m.snapshot.index_bytes);
    }
  }),

  maintenanceRequest: validator<MaintenanceRequest>('MaintenanceRequest', (m, c) => {
    c.that(m.op !== undefined, 'no operation');
  }),

  maintenanceReply: validator<MaintenanceReply>('MaintenanceReply', (m, c) => {
    if (m.status) {
      c.count('db_size', m.status.db_size);
      c.count('db_size_in_use', m.status.db_size_in_use);
      c.revision('status revision', m.status.revision);
    }
  }),

  storageRequest: validator<StorageRequest>('StorageRequest', (m, c) => {
    c.that(m.op !== undefined, 'no operation');
    if (m.op === 'save_state') c.that((m.save_state?.alarms.length ?? 0) <= messageLimits.alarmsMax, `more than ${messageLimits.alarmsMax} alarms`);
  }),

  storageReply: validator<StorageReply>('StorageReply', (m, c) => {
    c.count('db_size', m.db_size);
    c.count('db_size_in_use', m.db_size_in_use);
  }),

  compactorRunReply: validator<CompactorRunReply>('CompactorRunReply', (m, c) => {
    c.revision('through_revision', m.through_revision);
    c.revision('index_revision', m.index_revision);
  }),

  backupRequest: validator<BackupRequest>('BackupRequest', (m, c) => {
    c.that((m.session ?? '').length <= 64, 'session is at most 64 characters');
    c.count('offset', m.offset);
    c.count('window_bytes', m.window_bytes);
  }),

  backupChunk: validator<BackupChunk>('BackupChunk', (m, c) => {
    c.count('index', m.index);
    c.count('total_bytes', m.total_bytes);
  }),

  conflictsRequest: validator<ConflictsRequest>('ConflictsRequest', (m, c) => {
    c.that(m.list !== null, 'no listing request');
    c.count('limit', m.list?.limit);
    c.that(m.list?.kind === undefined || m.list.kind === '' || conflictKinds.includes(m.list.kind), `unknown conflict kind ${String(m.list?.kind)}`);
  }),

  conflictsReply: validator<ConflictsReply>('ConflictsReply', (m, c) => {
    for (const conflict of m.list?.conflicts ?? []) {
      c.revision('detected_revision', conflict.detected_revision);
      c.that(conflictKinds.includes(conflict.kind ?? ''), `unknown conflict kind ${String(conflict.kind)}`);
    }
  }),

  frontendAnnouncement: validator<FrontendAnnouncement>('FrontendAnnouncement', (m, c) => {
    c.that(m.frontend_id.length > 0 && m.frontend_id.length <= messageLimits.frontendIdCharsMax, 'frontend_id must be 1 to 256 characters');
    c.that(m.client_urls.length <= messageLimits.clientUrlsMax, `${m.client_urls.length} client URLs (at most ${messageLimits.clientUrlsMax})`);
    c.that(m.client_urls.every((u) => u.length > 0 && u.length <= messageLimits.clientUrlCharsMax), 'a client URL must be 1 to 2048 characters');
  }),

  membersReply: validator<MembersReply>('MembersReply', (m, c) => {
    c.that(m.members.length <= messageLimits.peersMax, `${m.members.length} members (at most ${messageLimits.peersMax})`);
    for (const member of m.members) c.that(String(member.ID) !== '0', 'a member needs its id');
  }),

  authState: validator<AuthState>('AuthState', (m, c) => {
    if (m.error) return;
    c.revision('auth revision', m.revision, 1);
    c.count('token epoch', m.token_epoch);
    c.that(m.token_key.length > 0, 'an auth state needs the token key');
    for (const u of m.users) c.that(u.name !== undefined && u.name.length > 0, 'a user needs a name');
    for (const r of m.roles) c.that(r.name !== undefined && r.name.length > 0, 'a role needs a name');
  }),

  tokenUses: validator<TokenUses>('TokenUses', (m, c) => {
    c.that(m.frontend_id.length > 0 && m.frontend_id.length <= messageLimits.frontendIdCharsMax, 'frontend_id must be a frontend id');
    c.that(m.token_ids.length <= messageLimits.tokenIdsMax, `${m.token_ids.length} token ids (at most ${messageLimits.tokenIdsMax})`);
    c.that(m.token_ids.every((id) => id.length === tokenIdBytes), `a token id is ${tokenIdBytes} bytes`);
  }),

  memberChangeRequest: validator<MemberChangeRequest>('MemberChangeRequest', (m, c) => {
    c.that(['REMOVE', 'UPDATE', 'PROMOTE', 'ADD'].includes(m.kind), `unknown member change ${String(m.kind)}`);
    // MemberAdd names no member: the backend mints the new id.
    c.that(m.kind === 'ADD' ? String(m.id) === '0' : String(m.id) !== '0', m.kind === 'ADD' ? 'a member add names no member id' : 'a member change needs the member id');
    c.that(m.peer_urls.length <= messageLimits.clientUrlsMax, `${m.peer_urls.length} peer URLs (at most ${messageLimits.clientUrlsMax})`);
    c.that(m.peer_urls.every((u) => u.length <= messageLimits.clientUrlCharsMax), 'a peer URL is at most 2048 characters');
  }),
  memberJoin: validator<MemberJoin>('MemberJoin', (m, c) => {
    c.that(m.name.length > 0 && m.name.length <= 256, 'a joining member needs its name');
    c.that(m.peer_url.length > 0 && m.peer_url.length <= messageLimits.clientUrlCharsMax, 'a joining member needs its peer URL (at most 2048 characters)');
  }),
  memberJoinReply: validator<MemberJoinReply>('MemberJoinReply', (m, c) => {
    c.that(m.members.length <= 1024, `${m.members.length} members`);
    c.that(m.members.every((e) => String(e.id) !== '0' && Number.isInteger(e.band)), 'a member entry needs its id and band');
  }),
  snapshotRequest: validator<SnapshotRequest>('SnapshotRequest', (m, c) => {
    c.that(isMemberId(m.from), 'from must be a member id');
  }),
  snapshotChunk: validator<SnapshotChunk>('SnapshotChunk', (m, c) => {
    c.that(m.document.length <= messageLimits.snapshotChunkBytesMax, `a snapshot chunk carries ${m.document.length} document bytes (at most ${messageLimits.snapshotChunkBytesMax})`);
    c.that(m.heads.length <= messageLimits.headsMax && m.heads.every((h) => automergeHash.test(h)), 'heads must be Automerge hashes');
    // The header (heads, size) is the first chunk's, unless the stream is an error.
    if (m.index === 0 && !m.error) c.that(m.heads.length > 0 && Number(m.document_bytes) > 0, 'the first snapshot chunk carries the heads and the document size');
    c.that(m.peer_sync_states.length <= messageLimits.peersMax && m.peer_sync_states.every((s) => String(s.member) !== '0'), 'a sync state names its member');
  }),
  cutRequest: validator<CutRequest>('CutRequest', (m, c) => {
    c.that(isMemberId(m.from), 'from must be a member id');
    c.that(automergeHash.test(m.lineage), 'a cut request names its lineage (an Automerge hash)');
    c.that(isMemberId(m.cut), `cut ${String(m.cut)} must be 1 or more`);
    c.that(m.op !== undefined, 'no operation');
    if (m.prepare) checkBallot(c, m.prepare.ballot);
    if (m.accept) {
      checkBallot(c, m.accept.ballot);
      checkProposal(c, m.accept.proposal, m);
    }
    if (m.decided) checkProposal(c, m.decided.proposal, m);
  }),

  cutReply: validator<CutReply>('CutReply', (m, c) => {
    c.that(m.lineage === '' || automergeHash.test(m.lineage), 'a lineage is an Automerge hash');
    if (m.promised) checkBallot(c, m.promised);
    if (m.accepted) {
      checkBallot(c, m.accepted.ballot);
      checkProposal(c, m.accepted.proposal);
    }
    if (m.decided) checkProposal(c, m.decided);
  }),

  cutBaseRequest: validator<CutBaseRequest>('CutBaseRequest', (m, c) => {
    c.that(isMemberId(m.from), 'from must be a member id');
    c.that(automergeHash.test(m.lineage), 'a base request names its lineage (an Automerge hash)');
  }),

  cutBaseChunk: validator<CutBaseChunk>('CutBaseChunk', (m, c) => {
    c.that(m.base.length <= messageLimits.cutBaseChunkBytesMax, `${m.base.length} base bytes in one chunk (at most ${messageLimits.cutBaseChunkBytesMax})`);
    c.that(m.seqs_in_cut.length <= messageLimits.cutActorsMax, `${m.seqs_in_cut.length} actors (at most ${messageLimits.cutActorsMax})`);
    c.that(m.seqs_in_cut.every((s) => actorHex.test(s.actor) && isMemberId(s.seq)), 'a sequence inside the cut names a hex actor and a sequence of 1 or more');
    if (m.proposal) checkProposal(c, m.proposal);
  }),

  cutNotice: validator<CutNotice>('CutNotice', (m, c) => {
    c.that(isMemberId(m.from), 'from must be a member id');
    c.that(automergeHash.test(m.lineage), 'a cut notice names its lineage (an Automerge hash)');
    c.that(isMemberId(m.cut), `cut ${String(m.cut)} must be 1 or more`);
  }),

  bandReserve: validator<BandReserve>('BandReserve', (m, c) => {
    c.that(String(m.member) !== '0', 'a band reservation names the new member');
    c.that(Number.isInteger(m.band) && m.band >= 0, `band ${m.band} is not a band`);
  }),
});
