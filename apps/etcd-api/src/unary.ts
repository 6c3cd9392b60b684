// The one wrapper of etcd-api's unary RPCs: a server span per call, the
// handler's answer sent back, a failure turned into etcd's gRPC error.
import { status } from '@grpc/grpc-js';
import type { handleUnaryCall } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '@eckd/service-kit';
import { withSpan } from '@eckd/telemetry';
import { toGrpcError } from './to-grpc-error.js';

export function unary<Req, Res>(name: string, log: Logger, fn: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    withSpan(`etcd-api.${name}`, { kind: SpanKind.SERVER }, () => fn(call.request)).then(
      (res) => callback(null, res),
      (err) => {
        const error = toGrpcError(err);
        // An error etcd has no name for (a bug, an unknown name from the wire) is worth a log line.
        if (error.code === status.UNKNOWN) log.warn(`${name} failed`, { err });
        callback(error);
      },
    );
  };
}
