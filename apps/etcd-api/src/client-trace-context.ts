// A client's W3C trace context (gRPC metadata `traceparent`, `tracestate`):
// the frontend's server span continues the client's trace, so a client's
// own spans link to eckd's.
import type { Metadata } from '@grpc/grpc-js';
import { contextFromHeaders } from '@eckd/telemetry';
import type { Context } from '@eckd/telemetry';

export function clientTraceContext(metadata: Metadata): Context {
  return contextFromHeaders((name) => {
    const [value] = metadata.get(name);
    return typeof value === 'string' ? value : undefined;
  });
}
