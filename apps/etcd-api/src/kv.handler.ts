// etcdserverpb.KV: validate, hand the request on (replica for reads,
// backend for writes), translate errors, fill the header.
import type { Sent } from '@eckd/change-codec';
import { responseOverLimit } from '@eckd/etcd-proto';
import type {
  CompactionRequest__Output,
  CompactionResponse,
  KVHandlers,
  RangeRequest__Output,
  RangeResponse,
  RequestOp__Output,
  ResponseOp,
} from '@eckd/etcd-proto';
import { checkDeleteRangeRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from '@eckd/mvcc';
import type { TxnRequest } from '@eckd/mvcc';
import type { Logger } from '@eckd/service-kit';
import { addSpanEvent } from '@eckd/telemetry';
import type { Acknowledger } from './acknowledger.js';
import type { AuthGuard } from './auth/auth-guard.js';
import type { Caller } from './auth/caller.js';
import { checkLeaseKeys, leasesOfPuts } from './auth/lease-keys.js';
import type { Proposer } from './proposer.js';
import type { ReadIndex } from './read-index.js';
import type { Replica } from './replica.js';
import { proposeAcknowledged } from './acknowledged-proposal.js';
import { proposeWithHeader, responseHeader } from './header.js';
import type { NodeHeader } from './header.js';
import { raftRequestBytes } from './request-size.js';
import { EtcdRpcError } from './to-grpc-error.js';
import { unary } from './unary.js';

export interface KvDeps {
  replica: Replica;
  proposer: Proposer;
  readIndex: ReadIndex;
  acknowledger: Acknowledger;
  maxRequestBytes: number;
  maxTxnOps: number;
  requestTimeoutMs: number;
  /** largest reply sent (grpc's send limit; etcd's server sets grpc.MaxSendMsgSize) */
  maxResponseBytes: number;
  /** the permission check (auth/auth-guard.ts) */
  guard: AuthGuard;
  log: Logger;
}

export function kvHandlers(deps: KvDeps): KVHandlers {
  const { log } = deps;
  return {
    Range: unary('Range', log, (req, caller) => {
      checkRangeRequest(req, { strictSort: true });
      deps.guard.range(caller, req);
      return range(deps, req);
    }),
    Put: unary('Put', log, async (req, caller) => {
      checkPutRequest(req);
      const authRevision = deps.guard.put(caller, req);
      await checkLeasePuts(deps, caller, leasesOfPuts({ put: req }));
      const { response, header } = await write(deps, { request: 'request_put', request_put: req }, raftRequestBytes('put', req), authRevision);
      return { ...response.response_put, header };
    }),
    DeleteRange: unary('DeleteRange', log, async (req, caller) => {
      checkDeleteRangeRequest(req);
      const authRevision = deps.guard.deleteRange(caller, req);
      const { response, header } = await write(deps, { request: 'request_delete_range', request_delete_range: req }, raftRequestBytes('delete_range', req), authRevision);
      return { ...response.response_delete_range, header };
    }),
    Txn: unary('Txn', log, async (req, caller) => {
      checkTxnRequest(req, { maxTxnOps: deps.maxTxnOps, strictSort: true });
      const authRevision = deps.guard.txn(caller, req);
      if (txnOnlyReads(req)) return readOnlyTxn(deps, req);
      await checkLeasePuts(deps, caller, leasesOfPuts({ txn: req }));
      const { response, header } = await write(deps, { request: 'request_txn', request_txn: req }, raftRequestBytes('txn', req), authRevision);
      return { ...response.response_txn, header };
    }),
    Compact: unary('Compact', log, (req, caller) => {
      return compact(deps, req, deps.guard.admin(caller));
    }),
  };
}

/** etcd's checkLeasePuts: a put attaching a key to a lease needs write on the lease's other keys too. */
async function checkLeasePuts(deps: KvDeps, caller: Caller, leases: string[]): Promise<void> {
  for (const id of leases) await checkLeaseKeys(deps, caller, id, (key) => deps.guard.put(caller, { key }));
}

async function range(deps: KvDeps, req: RangeRequest__Output): Promise<RangeResponse> {
  const { replica } = deps;
  await readBarrier(deps, req.serializable);
  const response = { header: responseHeader(replica, replica.revision), ...replica.store.range(req) };
  refuseOverSendLimit('RangeResponse', response, deps.maxResponseBytes);
  return response;
}

/** Waits until the replica may serve a read: as it is (serializable), or up to the backend's read index. */
async function readBarrier(deps: KvDeps, serializable: boolean): Promise<void> {
  // Serializable reads take the replica as it is (once it has synced).
  if (serializable) await deps.replica.waitFor(0, deps.requestTimeoutMs);
  else await deps.readIndex.linearizableBarrier();
}

/**
 * A Txn of Ranges only is served from the replica after the read barrier,
 * as etcd serves read-only txns without raft; the backend never builds its
 * (possibly huge) reply.
 */
async function readOnlyTxn(deps: KvDeps, req: TxnRequest) {
  if (raftRequestBytes('txn', req) > deps.maxRequestBytes) throw new EtcdRpcError('RequestTooLarge');
  const { replica } = deps;
  await readBarrier(deps, txnOnlySerializableReads(req));
  // A txn of reads changes nothing, so evaluating it on the replica leaves the replica as it was.
  const { response } = replica.store.write({ txn: req }, { leaseExists: () => false });
  const body = { ...response, header: responseHeader(replica, replica.revision) };
  refuseOverSendLimit('TxnResponse', body, deps.maxResponseBytes);
  return body;
}

function txnOps(req: TxnRequest) {
  return [...(req.success ?? []), ...(req.failure ?? [])];
}

/** Every op of both branches, nested txns included, is a Range (etcd's isTxnReadonly). */
function txnOnlyReads(req: TxnRequest): boolean {
  return txnOps(req).every((op) => Boolean(op.request_range) || (op.request_txn ? txnOnlyReads(op.request_txn) : false));
}

/** Every Range of the txn is serializable (etcd's isTxnSerializable). */
function txnOnlySerializableReads(req: TxnRequest): boolean {
  return txnOps(req).every((op) => (op.request_range ? op.request_range.serializable === true : txnOnlySerializableReads(op.request_txn ?? {})));
}

function refuseOverSendLimit(message: 'RangeResponse' | 'TxnResponse', response: object, maxBytes: number): void {
  const tooLarge = responseOverLimit(message, response as Record<string, unknown>, maxBytes);
  if (tooLarge) throw new EtcdRpcError('ResponseTooLarge', tooLarge);
}

/** A Put, DeleteRange or Txn through the backend, within etcd's request size limit (also the writes of Lock and Election). */
export async function write(deps: KvDeps, request: Sent<RequestOp__Output>, bytes: number, authRevision: number): Promise<{ response: ResponseOp; header: NodeHeader }> {
  if (bytes > deps.maxRequestBytes) throw new EtcdRpcError('RequestTooLarge');
  const { result, header } = await proposeWithHeader(deps, { op: 'request', request, auth_revision: authRevision }, bytes);
  addSpanEvent('acknowledged', { 'eckd.revision': header.revision });
  return { response: result.response ?? {}, header };
}

/**
 * Compact goes through the backend like a write (it is ordered with them and
 * persisted); the reply waits until this frontend's replica has compacted
 * too, so a read through it right after sees the compaction.
 */
async function compact(deps: KvDeps, req: CompactionRequest__Output, authRevision: number): Promise<CompactionResponse> {
  await proposeAcknowledged(deps, { op: 'compaction', compaction: req, auth_revision: authRevision }, 16);
  deps.replica.compactTo(Number(req.revision));
  return { header: responseHeader(deps.replica, deps.replica.revision) };
}
