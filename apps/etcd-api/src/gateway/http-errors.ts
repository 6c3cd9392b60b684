// A gRPC status as etcd's gateway answers it over HTTP: grpc-gateway's
// HTTPStatusFromCode, and the body `{"error","message","code"}` of
// grpc-gateway v1 (etcd 3.4 and 3.5; 3.6's v2 writes
// `{"code","message","details":[]}`, docs/ETCD-BEHAVIOUR.md §0).
import { status } from '@grpc/grpc-js';

const httpStatusOfCode: Readonly<Record<number, number>> = {
  [status.OK]: 200,
  [status.CANCELLED]: 408,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.UNAUTHENTICATED]: 401,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
};

export function httpStatusOf(code: number): number {
  return httpStatusOfCode[code] ?? 500;
}

/** The body of a failed unary call. */
export function errorBody(code: number, message: string): { error: string; message: string; code: number } {
  return { error: message, message, code };
}

/** A stream's failure, written as its last line (grpc-gateway v1's stream error). */
export function streamErrorBody(code: number, message: string): { error: { grpc_code: number; http_code: number; message: string; http_status: string } } {
  const http = httpStatusOf(code);
  return { error: { grpc_code: code, http_code: http, message, http_status: httpStatusText(http) } };
}

function httpStatusText(code: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  return texts[code] ?? 'Internal Server Error';
}
