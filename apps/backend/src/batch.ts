// Evaluates queued proposals, in arrival order, into one batch: per-request
// results, the events of every new revision, and one Automerge change for
// the whole batch.
import type { Context } from '@opentelemetry/api';
import type { KvDocument, EncodedChange } from '@eckd/automerge-doc';
import type { ProposalResult, ProposeReply, ProposeRequest, RevisionPatch } from '@eckd/change-codec';
import { KvError, toInt } from '@eckd/mvcc';
import type { MvccStore, WriteOp, WriteResult } from '@eckd/mvcc';
import type { Message } from '@eckd/service-kit';

export interface QueuedProposal {
  msg: Message;
  request: ProposeRequest;
  trace: Context;
}

export interface Batch {
  items: QueuedProposal[];
  replies: ProposeReply[];
  patches: RevisionPatch[];
  change: EncodedChange | undefined;
  /** revision before the batch; the batch's revisions follow it */
  baseRevision: number;
  /** set when a proposal of the batch compacted the history */
  compactRevision: number | undefined;
}

/** Leases arrive with the Lease issue; until then every lease id is unknown. */
const noLeases = { leaseExists: (id: string) => id === '0' };

export function evaluateBatch(store: MvccStore, doc: KvDocument, items: QueuedProposal[]): Batch {
  const baseRevision = store.revision;
  const patches: RevisionPatch[] = [];
  let compactRevision: number | undefined;
  const replies = items.map((item): ProposeReply => ({
    results: item.request.proposals.map((p) => {
      if (p.compaction) {
        const compacted = evaluateCompaction(store, p.compaction);
        if ('error' in compacted) return { id: p.id, revision: store.revision, result: 'error', error: compacted.error };
        compactRevision = compacted.compactRevision;
        return { id: p.id, revision: store.revision, result: 'compaction', compaction: {} };
      }
      const result = evaluateProposal(store, p);
      if ('write' in result) {
        if (result.write.changed) {
          patches.push({ revision: result.write.revision, events: result.write.events as unknown as Record<string, unknown>[] });
          mirrorEvents(doc, result.write);
        }
        return { id: p.id, revision: result.write.revision, result: 'response', response: wrapResponse(p.request, result.write) };
      }
      return { id: p.id, revision: store.revision, result: 'error', error: result.error };
    }),
  }));
  return { items, replies, patches, change: doc.commit(), baseRevision, compactRevision };
}

/** etcd's Compact: history below the revision goes; boundaries as etcd's (Compacted, FutureRev). */
function evaluateCompaction(store: MvccStore, request: Record<string, unknown>): { compactRevision: number } | { error: { name: string; message: string } } {
  try {
    return { compactRevision: store.compact(toInt(request['revision'] as string | number | undefined)).compactRevision };
  } catch (err) {
    if (err instanceof KvError) return { error: { name: err.rpcName, message: err.message } };
    throw err;
  }
}

type Evaluated = { write: WriteResult } | { error: { name: string; message: string } };

function evaluateProposal(store: MvccStore, p: ProposeRequest['proposals'][number]): Evaluated {
  const op = p.request ? toWriteOp(p.request) : undefined;
  if (!op) return { error: { name: 'NotCapable', message: 'backend: unsupported proposal' } };
  try {
    return { write: store.write(op, noLeases) };
  } catch (err) {
    if (err instanceof KvError) return { error: { name: err.rpcName, message: err.message } };
    throw err;
  }
}

function toWriteOp(request: Record<string, unknown>): WriteOp | undefined {
  if (request['request_put']) return { put: request['request_put'] } as WriteOp;
  if (request['request_delete_range']) return { delete_range: request['request_delete_range'] } as WriteOp;
  if (request['request_txn']) return { txn: request['request_txn'] } as WriteOp;
  return undefined;
}

function wrapResponse(request: Record<string, unknown> | null | undefined, write: WriteResult): Record<string, unknown> {
  if (request?.['request_put']) return { response_put: write.response };
  if (request?.['request_delete_range']) return { response_delete_range: write.response };
  return { response_txn: write.response };
}

function mirrorEvents(doc: KvDocument, write: WriteResult): void {
  for (const event of write.events) {
    const key = Buffer.from(event.kv.key).toString('latin1');
    if (event.type === 'PUT') doc.put(key, event.kv.value ?? Buffer.alloc(0), String(event.kv.lease ?? '0'));
    else doc.delete(key);
  }
}

export function lastRevisionOf(batch: Batch): number {
  const last = batch.patches[batch.patches.length - 1];
  return last ? Number(last.revision) : batch.baseRevision;
}

export type { ProposalResult };
