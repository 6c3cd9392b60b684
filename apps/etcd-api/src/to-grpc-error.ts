// The one place where eckd's errors become etcd's wire errors: an etcd
// error name (from libs/mvcc, the backend or this app) becomes etcd's exact
// gRPC code and message, which clients match on.
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { rpcErrorOf } from '@eckd/etcd-proto';
import type { EtcdErrorName } from '@eckd/etcd-proto';
import { AuthError } from '@eckd/auth';
import { KvError } from '@eckd/mvcc';

/** An error that carries an etcd error name; `detail` is for logs only. */
export class EtcdRpcError extends Error {
  override name = 'EtcdRpcError';
  constructor(
    readonly rpcName: EtcdErrorName,
    readonly detail?: string,
  ) {
    super(`etcd-api: ${rpcName}${detail ? `: ${detail}` : ''}`);
  }
}

export function toGrpcError(err: unknown): ServiceError {
  // A name from the wire is only typed, not checked: it is checked here.
  const name: string | undefined = err instanceof KvError || err instanceof AuthError || err instanceof EtcdRpcError ? err.rpcName : undefined;
  const known = name === undefined ? undefined : rpcErrorOf(name);
  if (known) return serviceError(known.code, known.message);
  // grpc's own answer to a reply over the send limit; its text carries the sizes.
  if (name === 'ResponseTooLarge' && err instanceof EtcdRpcError) return serviceError(status.RESOURCE_EXHAUSTED, err.detail ?? '');
  // etcd answers any unmapped error with Unknown and its raw text.
  return serviceError(status.UNKNOWN, err instanceof Error ? err.message : String(err));
}

export function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
