// etcd's gRPC server metrics (go-grpc-prometheus names and labels), counted
// by one interceptor for every method of the server. Installed only when
// metrics are on (an ops listener is configured): the interceptor wraps
// every call, which the put benchmark measures (docs/BENCHMARKS.md).
import * as grpc from '@grpc/grpc-js';
import { counter, histogram, latencySecondsBuckets } from '@eckd/telemetry';

const started = counter('grpc_server_started_total', 'Total number of RPCs started on the server.');
const handled = counter('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.');
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

export const grpcMetricsInterceptor: grpc.ServerInterceptor = (descriptor, call) => {
  const [service = '', method = ''] = descriptor.path.slice(1).split('/');
  const labels = { grpc_type: grpcType(descriptor), grpc_service: service, grpc_method: method };
  const t0 = performance.now();
  started.add(1, labels);
  return new grpc.ServerInterceptingCall(call, {
    sendStatus: (status, next) => {
      handled.add(1, { ...labels, grpc_code: grpcCodeName(status.code) });
      handlingSeconds.record((performance.now() - t0) / 1000, labels);
      next(status);
    },
  });
};
