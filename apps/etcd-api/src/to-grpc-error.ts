// The one place where eckd's errors become etcd's wire errors: an etcd
// error name (from libs/mvcc, the backend or this app) becomes etcd's exact
// gRPC code and message, which clients match on.
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { rpcErrors } from '@eckd/etcd-proto';
import type { RpcErrorName } from '@eckd/etcd-proto';
import { KvError } from '@eckd/mvcc';

/** An error that carries an etcd error name; `detail` is for logs only. */
export class EtcdRpcError extends Error {
  override name = 'EtcdRpcError';
  constructor(
    readonly rpcName: string,
    readonly detail?: string,
  ) {
    super(`etcd-api: ${rpcName}${detail ? `: ${detail}` : ''}`);
  }
}

export function toGrpcError(err: unknown): ServiceError {
  const name = err instanceof KvError ? err.rpcName : err instanceof EtcdRpcError ? err.rpcName : undefined;
  const known = name !== undefined && Object.hasOwn(rpcErrors, name) ? rpcErrors[name as RpcErrorName] : undefined;
  if (known) return serviceError(known.code, known.message);
  if (name === 'Unimplemented') return serviceError(status.UNIMPLEMENTED, (err as Error).message);
  // grpc's own answer to a reply over the send limit; its text carries the sizes.
  if (name === 'ResponseTooLarge' && err instanceof EtcdRpcError) return serviceError(status.RESOURCE_EXHAUSTED, err.detail ?? '');
  // etcd answers any unmapped error with Unknown and its raw text.
  return serviceError(status.UNKNOWN, err instanceof Error ? err.message : String(err));
}

export function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
