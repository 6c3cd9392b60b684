// etcdserverpb.KV: validate, hand the request on (replica for reads,
// backend for writes), translate errors, fill the header.
import type { sendUnaryData, ServerUnaryCall, UntypedHandleCall } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { responseOverLimit } from '@eckd/etcd-proto';
import { checkDeleteRangeRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from '@eckd/mvcc';
import type { TxnRequest } from '@eckd/mvcc';
import { addSpanEvent, withSpan } from '@eckd/telemetry';
import type { Acknowledger } from './acknowledger.js';
import type { Proposer } from './proposer.js';
import type { ReadIndex } from './read-index.js';
import type { Replica } from './replica.js';
import { proposeAcknowledged } from './acknowledged-proposal.js';
import { responseHeader } from './header.js';
import { raftRequestBytes } from './request-size.js';
import { EtcdRpcError, toGrpcError } from './to-grpc-error.js';

const opKinds = { request_put: 'put', request_delete_range: 'delete_range', request_txn: 'txn' } as const;

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
}

type Req = Record<string, unknown>;
type Handler = (call: ServerUnaryCall<Req, Req>, callback: sendUnaryData<Req>) => void;

export function kvHandlers(deps: KvDeps): Record<string, UntypedHandleCall> {
  const unary = (name: string, fn: (req: Req) => Promise<Req>): Handler => (call, callback) => {
    withSpan(`etcd-api.${name}`, { kind: SpanKind.SERVER }, () => fn(call.request)).then(
      (res) => callback(null, res),
      (err) => callback(toGrpcError(err)),
    );
  };
  return {
    Range: unary('Range', (req) => range(deps, req)),
    Put: unary('Put', (req) => write(deps, 'request_put', req, () => checkPutRequest(req as never))),
    DeleteRange: unary('DeleteRange', (req) => write(deps, 'request_delete_range', req, () => checkDeleteRangeRequest(req as never))),
    Txn: unary('Txn', (req) => txn(deps, req)),
    Compact: unary('Compact', (req) => compact(deps, req)),
  } as Record<string, UntypedHandleCall>;
}

async function range(deps: KvDeps, req: Req): Promise<Req> {
  checkRangeRequest(req as never, { strictSort: true });
  const { replica } = deps;
  await readBarrier(deps, req['serializable'] === true);
  const result = replica.store.range(req as never);
  const response = { header: responseHeader(replica, replica.revision), ...result };
  refuseOverSendLimit('RangeResponse', response, deps.maxResponseBytes);
  return response;
}

/** Waits until the replica may serve a read: as it is (serializable), or up to the backend's read index. */
async function readBarrier(deps: KvDeps, serializable: boolean): Promise<void> {
  const { replica } = deps;
  // Serializable reads take the replica as it is (once it has synced).
  if (serializable) {
    await replica.waitFor(0, deps.requestTimeoutMs);
  } else {
    const index = await deps.readIndex.current();
    // A restarted backend's state is the truth: take it before reading.
    if (replica.identity && index.epoch !== replica.identity.epoch) await replica.resync();
    await replica.waitFor(index.revision, deps.requestTimeoutMs);
  }
}

/**
 * A Txn of Ranges only is served from the replica after the read barrier,
 * as etcd serves read-only txns without raft; the backend never builds its
 * (possibly huge) reply. Any other Txn is a write.
 */
async function txn(deps: KvDeps, req: Req): Promise<Req> {
  const check = () => checkTxnRequest(req as never, { maxTxnOps: deps.maxTxnOps, strictSort: true });
  if (!txnOnlyReads(req)) return write(deps, 'request_txn', req, check);
  check();
  if (raftRequestBytes('txn', req) > deps.maxRequestBytes) throw new EtcdRpcError('RequestTooLarge');
  const { replica } = deps;
  await readBarrier(deps, txnOnlySerializableReads(req));
  // A txn of reads changes nothing, so evaluating it on the replica leaves the replica as it was.
  const { response } = replica.store.write({ txn: req as TxnRequest }, { leaseExists: () => false });
  const body = { ...response, header: responseHeader(replica, replica.revision) };
  refuseOverSendLimit('TxnResponse', body, deps.maxResponseBytes);
  return body;
}

function txnOps(req: Req): Req[] {
  return [...((req['success'] as Req[] | undefined) ?? []), ...((req['failure'] as Req[] | undefined) ?? [])];
}

/** Every op of both branches, nested txns included, is a Range (etcd's isTxnReadonly). */
function txnOnlyReads(req: Req): boolean {
  return txnOps(req).every((op) => Boolean(op['request_range']) || (Boolean(op['request_txn']) && txnOnlyReads(op['request_txn'] as Req)));
}

/** Every Range of the txn is serializable (etcd's isTxnSerializable). */
function txnOnlySerializableReads(req: Req): boolean {
  return txnOps(req).every((op) =>
    op['request_range'] ? (op['request_range'] as Req)['serializable'] === true : txnOnlySerializableReads(op['request_txn'] as Req),
  );
}

function refuseOverSendLimit(message: 'RangeResponse' | 'TxnResponse', response: Req, maxBytes: number): void {
  const tooLarge = responseOverLimit(message, response, maxBytes);
  if (tooLarge) throw new EtcdRpcError('ResponseTooLarge', tooLarge);
}

async function write(deps: KvDeps, kind: 'request_put' | 'request_delete_range' | 'request_txn', req: Req, check: () => void): Promise<Req> {
  check();
  const bytes = raftRequestBytes(opKinds[kind], req);
  if (bytes > deps.maxRequestBytes) throw new EtcdRpcError('RequestTooLarge');
  const { result, revision } = await proposeAcknowledged(deps, { op: 'request', request: { request: kind, [kind]: req } }, bytes);
  addSpanEvent('acknowledged', { 'eckd.revision': revision });
  const response = (result.response ?? {}) as Req;
  const body = (response['response_put'] ?? response['response_delete_range'] ?? response['response_txn'] ?? {}) as Req;
  return { ...body, header: responseHeader(deps.replica, revision) };
}

/**
 * Compact goes through the backend like a write (it is ordered with them and
 * persisted); the reply waits until this frontend's replica has compacted
 * too, so a read through it right after sees the compaction.
 */
async function compact(deps: KvDeps, req: Req): Promise<Req> {
  await proposeAcknowledged(deps, { op: 'compaction', compaction: req }, 16);
  deps.replica.compactTo(Number(req['revision']));
  return { header: responseHeader(deps.replica, deps.replica.revision) };
}

