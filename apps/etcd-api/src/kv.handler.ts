// etcdserverpb.KV: validate, hand the request on (replica for reads,
// backend for writes), translate errors, fill the header.
import type { sendUnaryData, ServerUnaryCall, UntypedHandleCall } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { checkDeleteRangeRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from '@eckd/mvcc';
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
    Txn: unary('Txn', (req) => write(deps, 'request_txn', req, () => checkTxnRequest(req as never, { maxTxnOps: deps.maxTxnOps, strictSort: true }))),
    Compact: unary('Compact', (req) => compact(deps, req)),
  } as Record<string, UntypedHandleCall>;
}

async function range(deps: KvDeps, req: Req): Promise<Req> {
  checkRangeRequest(req as never, { strictSort: true });
  const { replica } = deps;
  // Serializable reads take the replica as it is (once it has synced).
  if (req['serializable'] === true) {
    await replica.waitFor(0, deps.requestTimeoutMs);
  } else {
    await deps.readIndex.linearizableBarrier();
  }
  const result = replica.store.range(req as never);
  return { header: responseHeader(replica, replica.revision), ...result };
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

