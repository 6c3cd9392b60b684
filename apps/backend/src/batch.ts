// Evaluates queued proposals, in arrival order, into one batch: per-request
// results, the events of every new revision, and one Automerge change for
// the whole batch.
import type { Context } from '@opentelemetry/api';
import { lineageIdOnWire } from '@eckd/automerge-doc';
import type { AppliedChange, EncodedChange } from '@eckd/automerge-doc';
import type { ProposalResult, ProposeReply, ProposeRequest, Rebase, WireError } from '@eckd/change-codec';
import type { ResponseOp } from '@eckd/etcd-proto';
import { responseOverLimit } from '@eckd/etcd-proto';
import { AuthError, applyAuthChange, authRecordOf, authRecordsOf, authStateOfRecords, metaRecordKey } from '@eckd/auth';
import type { AuthState } from '@eckd/auth';
import { KvError, toInt } from '@eckd/mvcc';
import type { MvccStore, WriteOp, WriteResult } from '@eckd/mvcc';
import type { Message } from '@eckd/service-kit';
import { evaluateLeaseOp, leaseOpOf, leaseReadOps } from './lease-ops.js';
import type { BatchEffects, NodeState } from './write-application.js';
import { applyWrite } from './write-application.js';
import type { BatchPeers } from './peers/replication.js';
import type { CutAcceptorToStore } from './peers/cut-agreement.js';

export interface QueuedProposal {
  /** absent for the backend's own proposals (lease expiry) */
  msg: Message | undefined;
  request: ProposeRequest;
  /** encoded size of the request, counted against the queue and batch byte bounds */
  bytes: number;
  /** results already given on arrival (lease reads), sent with the others */
  answered?: ProposalResult[];
  trace: Context;
  /** forwarded by a peer's backend (a lease operation of this member's, §8.6): that member checked its auth revision */
  fromPeer?: boolean;
}

/** Bounds on what evaluating one proposal may build or create. */
export interface EvaluationLimits {
  maxResponseBytes: number;
  leasesMax: number;
}

export interface Batch extends BatchEffects {
  items: QueuedProposal[];
  replies: ProposeReply[];
  change: EncodedChange | undefined;
  /** revision before the batch; the batch's revisions follow it */
  baseRevision: number;
  /** the document's history was cut after this batch (stored with it) */
  rebase?: Rebase;
  /** the lineage of the batch's change and peers' changes (hex, '' for the original base; §8.10) */
  lineage: string;
  /** peers' changes applied at the start of this batch (stored with it) */
  peerChanges: AppliedChange[];
  /** peers' sync states to store with this batch */
  peerSyncStates: { member: string; state: Uint8Array }[];
  /** with peers: run once the batch's append is committed (pushes its change, answers the membership requests it wrote) */
  whenAppended?: () => void;
  /** with peers: a voter's state in the cut agreement, stored by this batch's append (§8.10); its acceptor answers once that committed */
  cutAcceptor?: CutAcceptorToStore;
  /** with peers: a lineage let go after a cut, whose stored changes this batch's append drops (§8.10, 5) */
  dropLineage?: string;
}

type Proposal = ProposeRequest['proposals'][number];
type WriteRequest = NonNullable<Proposal['request']>;

export function evaluateBatch(state: NodeState, items: QueuedProposal[], limits: EvaluationLimits, peers?: BatchPeers): Batch {
  const baseRevision = state.store.revision;
  const effects: BatchEffects = { patches: [], compactRevision: undefined };
  const peerChanges = peers?.beforeProposals(state, effects) ?? [];
  if (peerChanges.length > 0) reloadAuth(state, effects);
  const replies = items.map((item): ProposeReply => ({
    results: [...(item.answered ?? []), ...item.request.proposals.map((p) => evaluateProposal(state, effects, p, limits, item.msg !== undefined && !item.fromPeer))],
  }));
  const change = state.doc.commit(peers?.originOf(state));
  const whenAppended = peers?.whenAppended(change, state.store.revision);
  const lineage = lineageIdOnWire(state.doc.lineage());
  const cutAcceptor = peers?.cutAcceptorToStore();
  const dropLineage = peers?.lineageToDrop();
  return { items, replies, change, baseRevision, peerChanges, peerSyncStates: peers?.syncStatesToStore() ?? [], whenAppended, lineage, cutAcceptor, dropLineage, ...effects };
}

/**
 * Lease reads (KeepAlive, TimeToLive, Leases) change nothing that is stored
 * (expiry times are not persisted), so they are evaluated on arrival instead
 * of in a batch with an append: a KeepAlive flood does not queue in front
 * of writes. Evaluating before the queued writes is a valid order: none of
 * those has been acknowledged yet.
 */
export function answerLeaseReads(state: NodeState, request: ProposeRequest, limits: EvaluationLimits): { answered: ProposalResult[]; rest: Proposal[] } {
  const answered: ProposalResult[] = [];
  const rest: Proposal[] = [];
  const noEffects: BatchEffects = { patches: [], compactRevision: undefined };
  for (const p of request.proposals) {
    const op = leaseOpOf(p);
    if (op && leaseReadOps.includes(op)) answered.push(evaluateProposal(state, noEffects, p, limits));
    else rest.push(p);
  }
  return { answered, rest };
}

/** One proposal: an etcd error is a value in its result and changes nothing. */
function evaluateProposal(state: NodeState, effects: BatchEffects, p: Proposal, limits: EvaluationLimits, fromFrontend = false): ProposalResult {
  const { store } = state;
  try {
    const stale = fromFrontend ? staleAuthCheck(state, p) : undefined;
    if (stale) return failed(p, store, { name: 'AuthOldRevision', message: stale });
    if (p.auth) {
      for (const key of applyAuthChange(state.auth, p.auth)) state.doc.setAuthRecord(key, authRecordOf(state.auth, key));
      effects.authChanged = true;
      return { id: p.id, revision: store.revision, result: 'auth', auth: { auth_revision: state.auth.revision } };
    }
    if (p.request) {
      const op = toWriteOp(p.request);
      if (!op) return failed(p, store, { name: 'NotCapable', message: 'backend: unsupported request' });
      const write = applyWrite(state, effects, op);
      // As in etcd, the write stands; only its reply is refused when it is over the send limit.
      const tooLarge = responseOverLimit(responseTypeOf(p.request), write.response as Record<string, unknown>, limits.maxResponseBytes);
      if (tooLarge) return failed(p, store, { name: 'ResponseTooLarge', message: tooLarge });
      return { id: p.id, revision: write.revision, result: 'response', response: wrapResponse(p.request, write) };
    }
    if (p.compaction) {
      effects.compactRevision = store.compact(toInt(p.compaction.revision)).compactRevision;
      return { id: p.id, revision: store.revision, result: 'compaction', compaction: {} };
    }
    if (leaseOpOf(p) === 'lease_grant' && state.leases.size >= limits.leasesMax) {
      return failed(p, store, { name: 'TooManyRequests', message: `backend: ${state.leases.size} leases, ECKD_LEASES_MAX is ${limits.leasesMax}` });
    }
    const lease = evaluateLeaseOp(state, effects, p);
    if (lease) return { id: p.id, revision: store.revision, ...lease };
    return failed(p, store, { name: 'NotCapable', message: 'backend: unsupported proposal' });
  } catch (err) {
    if (err instanceof KvError || err instanceof AuthError) return failed(p, store, { name: err.rpcName, message: err.message });
    throw err;
  }
}

/**
 * A frontend checks the permissions of writes, compactions, lease revokes
 * and auth changes at its replica's auth revision (0: it saw auth
 * disabled) and sends that revision along; with auth enabled here, an
 * older one means an auth change (or the enabling itself) came in between,
 * and the request is refused as etcd's apply refuses it (isOpPermitted).
 */
export function staleAuthCheck(state: NodeState, p: Proposal): string | undefined {
  if (!state.auth.enabled || !(p.request || p.compaction || p.auth || p.lease_revoke)) return undefined;
  const checkedAt = Number(p.auth_revision ?? 0);
  return checkedAt === 0 || checkedAt < state.auth.revision ? `backend: checked at auth revision ${checkedAt}, now ${state.auth.revision}` : undefined;
}

/** Peers' changes may carry auth changes: the auth state is read again from the document's records. */
function reloadAuth(state: NodeState, effects: BatchEffects): void {
  const records = (auth: AuthState) => JSON.stringify(authRecordsOf(auth).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  const before = records(state.auth);
  const revisionBefore = state.auth.revision;
  state.auth = authStateOfRecords(state.doc.authRecords());
  if (records(state.auth) === before) return;
  effects.authChanged = true;
  // Concurrent changes on two members leave one `auth:meta` winning, whose
  // revision may not be past this member's: a peer's change is an auth change
  // here too, so the revision moves on (tokens and frontends compare it).
  // Both members then write an equal record, which ends the exchange.
  if (state.auth.revision <= revisionBefore) {
    state.auth.revision = revisionBefore + 1;
    state.doc.setAuthRecord(metaRecordKey, authRecordOf(state.auth, metaRecordKey));
  }
}

function failed(p: Proposal, store: MvccStore, error: WireError): ProposalResult {
  return { id: p.id, revision: store.revision, result: 'error', error };
}

function toWriteOp(request: WriteRequest): WriteOp | undefined {
  if (request.request_put) return { put: request.request_put };
  if (request.request_delete_range) return { delete_range: request.request_delete_range };
  if (request.request_txn) return { txn: request.request_txn };
  return undefined;
}

function responseTypeOf(request: WriteRequest): 'PutResponse' | 'DeleteRangeResponse' | 'TxnResponse' {
  if (request.request_put) return 'PutResponse';
  if (request.request_delete_range) return 'DeleteRangeResponse';
  return 'TxnResponse';
}

function wrapResponse(request: WriteRequest, write: WriteResult): ResponseOp {
  if (request.request_put) return { response_put: write.response };
  if (request.request_delete_range) return { response_delete_range: write.response };
  return { response_txn: write.response };
}

export function lastRevisionOf(batch: Batch): number {
  const last = batch.patches[batch.patches.length - 1];
  return last ? Number(last.revision) : batch.baseRevision;
}
