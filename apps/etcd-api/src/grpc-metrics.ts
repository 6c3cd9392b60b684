// etcd's gRPC server metrics (go-grpc-prometheus names and labels), counted
// by one interceptor for every method of the server. Installed only when
// metrics are on (an ops listener is configured). The interceptor runs on
// every call, so it does little per call: each method's labels are built
// once, the started and handled counts are plain numbers read at each
// scrape (an OTel counter hashes its attributes on every add), and only the
// latency goes through an OTel histogram, with the method's cached labels.
import * as grpc from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import { histogram, latencySecondsBuckets, observeCounter } from '@eckd/telemetry';

const handlingSeconds = histogram(
  'grpc_server_handling_seconds',
  'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
  latencySecondsBuckets,
);

/** Go's codes.Code.String(): CamelCase, and CANCELLED is spelt "Canceled". */
export function grpcCodeName(code: grpc.status): string {
  if (code === grpc.status.OK) return 'OK';
  if (code === grpc.status.CANCELLED) return 'Canceled';
  const name = grpc.status[code] ?? `Code(${code})`;
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function grpcType(d: { requestStream: boolean; responseStream: boolean }): string {
  if (d.requestStream) return d.responseStream ? 'bidi_stream' : 'client_stream';
  return d.responseStream ? 'server_stream' : 'unary';
}

/** One method's counts; only registered methods reach an interceptor, so there is one per method of the server. */
interface MethodCounts {
  labels: Attributes;
  started: number;
  /** by status code: the labels with grpc_code, and the count */
  handled: Map<number, { labels: Attributes; count: number }>;
}

/** The counts of the server's methods, and the interceptor that keeps them. */
export class GrpcServerMetrics {
  readonly #methods = new Map<string, MethodCounts>();

  /** Registers the counters with the metrics registry; call after `startMetrics`. */
  constructor() {
    observeCounter('grpc_server_started_total', 'Total number of RPCs started on the server.', (result) => {
      for (const m of this.#methods.values()) result.observe(m.started, m.labels);
    });
    observeCounter('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', (result) => {
      for (const m of this.#methods.values()) for (const h of m.handled.values()) result.observe(h.count, h.labels);
    });
  }

  readonly interceptor: grpc.ServerInterceptor = (descriptor, call) => {
    const method = this.#method(descriptor);
    const t0 = performance.now();
    method.started++;
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        this.#handled(method, status.code).count++;
        handlingSeconds.record((performance.now() - t0) / 1000, method.labels);
        next(status);
      },
    });
  };

  #method(descriptor: grpc.ServerMethodDefinition<unknown, unknown>): MethodCounts {
    let method = this.#methods.get(descriptor.path);
    if (method === undefined) {
      const [service = '', name = ''] = descriptor.path.slice(1).split('/');
      method = { labels: { grpc_type: grpcType(descriptor), grpc_service: service, grpc_method: name }, started: 0, handled: new Map() };
      this.#methods.set(descriptor.path, method);
    }
    return method;
  }

  #handled(method: MethodCounts, code: grpc.status): { labels: Attributes; count: number } {
    let handled = method.handled.get(code);
    if (handled === undefined) {
      handled = { labels: { ...method.labels, grpc_code: grpcCodeName(code) }, count: 0 };
      method.handled.set(code, handled);
    }
    return handled;
  }
}
