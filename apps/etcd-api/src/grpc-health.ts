// grpc.health.v1.Health on the frontend's gRPC server, as etcd registers it
// (v3rpc/health.go): one status for all services, under the name "". The
// status is the frontend's readiness (health.ts): SERVING when every readyz
// check passes, NOT_SERVING otherwise; any other service name is unknown
// (grpc-go's health server: Check answers NOT_FOUND, Watch SERVICE_UNKNOWN).
// The two messages are small enough to encode here rather than generate.
import * as grpc from '@grpc/grpc-js';
import type { HealthChecks } from '@eckd/service-kit';
import { runHealthChecks } from '@eckd/service-kit';

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const servingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
type ServingStatus = (typeof servingStatus)[keyof typeof servingStatus];

/** How often a Watch re-evaluates readiness, to send a change. */
export const healthWatchIntervalMs = 1_000;
const allServices = '';

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus;
}

/** HealthCheckRequest: field 1, `service` (string); other fields skipped. */
export function decodeHealthRequest(buf: Buffer): HealthRequest {
  let service = '';
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length) throw new Error('truncated varint');
      const byte = buf[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 2) {
      const length = varint();
      if (tag >>> 3 === 1) service = buf.subarray(at, at + length).toString('utf8');
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
  return { service };
}

/** HealthCheckResponse: field 1, `status` (enum); UNKNOWN (0) is the empty message. */
export function encodeHealthResponse(res: HealthResponse): Buffer {
  return res.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, res.status]);
}

function method(name: string, responseStream: boolean): grpc.MethodDefinition<HealthRequest, HealthResponse> {
  return {
    path: `/grpc.health.v1.Health/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: (req) => Buffer.from(req.service === '' ? [] : [0x0a, ...varintBytesOf(Buffer.byteLength(req.service)), ...Buffer.from(req.service)]),
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: (buf) => ({ status: (buf.length >= 2 ? buf[1] : 0) as ServingStatus }),
  };
}

function varintBytesOf(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

export const healthServiceDefinition = { Check: method('Check', false), Watch: method('Watch', true) } as const;

export function healthHandlers(readyz: HealthChecks, timeoutMs: number): grpc.UntypedServiceImplementation {
  const status = async (): Promise<ServingStatus> =>
    (await runHealthChecks(readyz, Object.keys(readyz), timeoutMs)).ok ? servingStatus.SERVING : servingStatus.NOT_SERVING;
  const check: grpc.handleUnaryCall<HealthRequest, HealthResponse> = (call, callback) => {
    if (call.request.service !== allServices) {
      callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      return;
    }
    void status().then((s) => callback(null, { status: s }));
  };
  const watch: grpc.handleServerStreamingCall<HealthRequest, HealthResponse> = (call) => {
    if (call.request.service !== allServices) {
      call.write({ status: servingStatus.SERVICE_UNKNOWN });
      return;
    }
    let last: ServingStatus | undefined;
    let stopped = false;
    const tick = async () => {
      const s = await status();
      if (stopped) return;
      if (s !== last) call.write({ status: s });
      last = s;
      timer = setTimeout(() => void tick(), healthWatchIntervalMs);
    };
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    void tick();
  };
  return { Check: check, Watch: watch };
}
