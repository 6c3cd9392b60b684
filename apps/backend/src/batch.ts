// Evaluates queued proposals, in arrival order, into one batch: per-request
// results, the events of every new revision, and one Automerge change for
// the whole batch.
import type { Context } from '@opentelemetry/api';
import type { EncodedChange } from '@eckd/automerge-doc';
import type { ProposalResult, ProposeReply, ProposeRequest, Rebase, WireError } from '@eckd/change-codec';
import type { ResponseOp } from '@eckd/etcd-proto';
import { KvError, toInt } from '@eckd/mvcc';
import type { MvccStore, WriteOp, WriteResult } from '@eckd/mvcc';
import type { Message } from '@eckd/service-kit';
import { evaluateLeaseOp } from './lease-ops.js';
import type { BatchEffects, NodeState } from './write-application.js';
import { applyWrite } from './write-application.js';

export interface QueuedProposal {
  /** absent for the backend's own proposals (lease expiry) */
  msg: Message | undefined;
  request: ProposeRequest;
  trace: Context;
}

export interface Batch extends BatchEffects {
  items: QueuedProposal[];
  replies: ProposeReply[];
  change: EncodedChange | undefined;
  /** revision before the batch; the batch's revisions follow it */
  baseRevision: number;
  /** the document's history was cut after this batch (stored with it) */
  rebase?: Rebase;
}

type Proposal = ProposeRequest['proposals'][number];
type WriteRequest = NonNullable<Proposal['request']>;

export function evaluateBatch(state: NodeState, items: QueuedProposal[]): Batch {
  const baseRevision = state.store.revision;
  const effects: BatchEffects = { patches: [], compactRevision: undefined };
  const replies = items.map((item): ProposeReply => ({ results: item.request.proposals.map((p) => evaluateProposal(state, effects, p)) }));
  return { items, replies, change: state.doc.commit(), baseRevision, ...effects };
}

/** One proposal: an etcd error is a value in its result and changes nothing. */
function evaluateProposal(state: NodeState, effects: BatchEffects, p: Proposal): ProposalResult {
  const { store } = state;
  try {
    if (p.request) {
      const op = toWriteOp(p.request);
      if (!op) return failed(p, store, { name: 'NotCapable', message: 'backend: unsupported request' });
      const write = applyWrite(state, effects, op);
      return { id: p.id, revision: write.revision, result: 'response', response: wrapResponse(p.request, write) };
    }
    if (p.compaction) {
      effects.compactRevision = store.compact(toInt(p.compaction.revision)).compactRevision;
      return { id: p.id, revision: store.revision, result: 'compaction', compaction: {} };
    }
    const lease = evaluateLeaseOp(state, effects, p);
    if (lease) return { id: p.id, revision: store.revision, ...lease };
    return failed(p, store, { name: 'NotCapable', message: 'backend: unsupported proposal' });
  } catch (err) {
    if (err instanceof KvError) return failed(p, store, { name: err.rpcName, message: err.message });
    throw err;
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

function wrapResponse(request: WriteRequest, write: WriteResult): ResponseOp {
  if (request.request_put) return { response_put: write.response };
  if (request.request_delete_range) return { response_delete_range: write.response };
  return { response_txn: write.response };
}

export function lastRevisionOf(batch: Batch): number {
  const last = batch.patches[batch.patches.length - 1];
  return last ? Number(last.revision) : batch.baseRevision;
}
