// The responses of a server stream (Watch, LeaseKeepAlive) go out in
// batches: everything written in one event-loop turn is framed here and
// handed to the call's HTTP/2 stream as one write. grpc-js writes one
// message at a time and starts the next only once the previous one has been
// flushed to the socket, so fanning one revision out to the 125 watchers of
// a stream took 125 socket writes and as many event-loop turns; batched, it
// takes one. This reaches into grpc-js's server call (its HTTP/2 stream, and
// the step that sends the response headers before the first message); where
// those are not found (another grpc-js), responses go through grpc-js one by
// one as before.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ServerHttp2Stream } from 'node:http2';

/** What the batcher needs of grpc-js's BaseServerInterceptingCall. */
interface GrpcJsBaseCall {
  stream: ServerHttp2Stream;
  maybeSendMetadata(): void;
}

/** A response object, or its encoded bytes (a watch event encoded once for many watchers). */
export type StreamResponse = Record<string, unknown> | Buffer;

export interface ResponseWriter {
  /** Queues one response; false when the stream is backed up (then `onDrain` follows). */
  write(response: StreamResponse): boolean;
  /** Hands what is queued to the stream now (before the call ends). */
  flush(): void;
  /** True when responses go to the HTTP/2 stream in batches; false on grpc-js's one-at-a-time path. */
  readonly batched: boolean;
}

/** grpc-js's own path: messages queued before the stream counts as backed up. */
const streamQueuedMessagesMax = 1024;

/** Server interceptors (the gRPC metrics) wrapped around the base call, at most. */
const interceptorDepthMax = 8;

/**
 * The base call under the server stream: grpc-js's `call`, or, with server
 * interceptors, the end of their `nextCall` chain. Writing to its HTTP/2
 * stream passes the interceptors by, which is right only for interceptors
 * that do not see messages (eckd's see the status alone).
 */
function baseCallOf(call: object): GrpcJsBaseCall | undefined {
  let candidate = (call as { call?: unknown }).call;
  for (let depth = 0; depth <= interceptorDepthMax && candidate !== null && typeof candidate === 'object'; depth++) {
    const base = candidate as Partial<GrpcJsBaseCall> & { nextCall?: unknown };
    if (typeof base.maybeSendMetadata === 'function' && typeof base.stream?.write === 'function') return base as GrpcJsBaseCall;
    candidate = base.nextCall;
  }
  return undefined;
}

/**
 * `encode` turns a response object into its message bytes (the method's own
 * serializer); past `queuedBytesMax` bytes buffered for the client
 * (ECKD_STREAM_QUEUED_BYTES_MAX) the stream counts as backed up.
 */
export function responseWriter(
  call: ServerDuplexStream<unknown, StreamResponse>,
  encode: (response: Record<string, unknown>) => Buffer,
  queuedBytesMax: number,
  onDrain: () => void,
): ResponseWriter {
  const base = baseCallOf(call);
  if (!base) {
    call.on('drain', onDrain);
    // grpc-js says "full" after 16 queued messages; a fan-out of one write
    // to many watches of a stream queues more than that at once, so the
    // stream counts as backed up only past its own, larger bound.
    return { write: (response) => call.write(response) || call.writableLength < streamQueuedMessagesMax, flush: () => undefined, batched: false };
  }
  const { stream } = base;
  stream.on('drain', onDrain);
  let frames: Buffer[] = [];
  let queuedBytes = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (frames.length === 0 || stream.destroyed || stream.closed) {
      frames = [];
      queuedBytes = 0;
      return;
    }
    base.maybeSendMetadata();
    stream.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, queuedBytes));
    frames = [];
    queuedBytes = 0;
  };
  return {
    write(response) {
      const message = Buffer.isBuffer(response) ? response : encode(response);
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0; // not compressed
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      frames.push(frame);
      queuedBytes += frame.length;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
      // Backed up only once the stream itself asks for a drain, so a 'drain' follows.
      return !stream.writableNeedDrain || stream.writableLength + queuedBytes < queuedBytesMax;
    },
    flush,
    batched: true,
  };
}
