// The one wrapper of etcd-api's unary RPCs: a server span per call (in the
// client's trace when its metadata carries `traceparent`), the
// replication factors the call's metadata names (for the write path), the
// handler's answer sent back (given the request's Caller for the auth check), a failure turned into etcd's gRPC error.
import { status } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceError, handleUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '@eckd/service-kit';
import { withSpan } from '@eckd/telemetry';
import type { Caller } from './auth/caller.js';
import { callerOf } from './auth/caller.js';
import { FactorMetadataError, factorsOfMetadata, withRequestFactors } from './replication-factors.js';
import type { ReplicationFactors } from './replication-factors.js';
import { serviceError, toGrpcError } from './to-grpc-error.js';
import { clientTraceContext } from './client-trace-context.js';

/** `fn` gets the request and its Caller (for the auth check, auth/auth-guard.ts). */
export function unary<Req, Res>(name: string, log: Logger, fn: (req: Req, caller: Caller) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) =>
    runUnary(name, call, callback, () => fn(call.request, callerOf(call)), (err) => {
      const error = toGrpcError(err);
      // An error etcd has no name for (a bug, an unknown name from the wire) is worth a log line.
      if (error.code === status.UNKNOWN) log.warn(`${name} failed`, { err });
      return error;
    });
}

/**
 * One unary call: the replication factors of its metadata (malformed:
 * INVALID_ARGUMENT before anything runs), a server span in the client's
 * trace, `run`'s answer or `errorOf`'s error sent back.
 */
export function runUnary<Req, Res>(
  name: string,
  call: ServerUnaryCall<Req, Res>,
  callback: sendUnaryData<Res>,
  run: () => Promise<Res>,
  errorOf: (err: unknown) => ServiceError,
): void {
  let factors: Partial<ReplicationFactors>;
  try {
    factors = factorsOfMetadata(call.metadata);
  } catch (err) {
    if (!(err instanceof FactorMetadataError)) throw err;
    callback(serviceError(status.INVALID_ARGUMENT, err.message));
    return;
  }
  withRequestFactors(factors, () => withSpan(`etcd-api.${name}`, { kind: SpanKind.SERVER, parent: clientTraceContext(call.metadata) }, run)).then(
    (res) => callback(null, res),
    (err) => callback(errorOf(err)),
  );
}
