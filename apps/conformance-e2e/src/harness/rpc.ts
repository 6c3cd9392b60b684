// One unary call on a raw gRPC client, settled as an outcome: the decoded
// response, or the error reduced to what etcd clients look at.
import * as grpc from '@grpc/grpc-js';

export const callTimeoutMs = 15_000;

export interface RpcFailure {
  code: number;
  details: string;
}

export type Outcome = { response: Record<string, unknown> } | { error: RpcFailure };

type UnaryMethod = (
  req: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void,
) => void;

/** Calls `client[method](request)` (with `metadata`, e.g. an auth token) and never rejects for a gRPC status. */
export function callUnary(client: grpc.Client, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<Outcome> {
  // The method is picked by name at run time (scenarios name it); proto-loader's clients carry their methods untyped.
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (typeof fn !== 'function') throw new Error(`conformance: the client has no method ${method}`);
  const deadline = Date.now() + callTimeoutMs;
  return new Promise((resolve) => {
    fn.call(client, request, metadata, { deadline }, (err, res) => {
      if (err) resolve({ error: { code: err.code, details: err.details } });
      else resolve({ response: res ?? {} });
    });
  });
}
