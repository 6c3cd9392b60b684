// A minimal gRPC client over node:http2: requests are protobuf bytes the
// workload encoded once (or cheaply per request), replies come back as raw
// message bytes the workload reads only as far as it needs. A grpc-js client
// costs the load generator about 0.4 ms of CPU per unary call on this
// machine, more than the servers it measures; this keeps the generator's
// share of the two cores small, so the servers are what is compared.
import * as http2 from 'node:http2';

/** One gRPC message: the 5-byte prefix (uncompressed, big-endian length) and the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Splits a byte stream into gRPC messages, whatever the chunk boundaries. */
export class FrameReader {
  #pending: Buffer | undefined;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    while (buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (buf.length < 5 + length) break;
      this.onMessage(buf.subarray(5, 5 + length));
      buf = buf.subarray(5 + length);
    }
    if (buf.length > 0) this.#pending = buf;
  }
}

export class GrpcStatusError extends Error {
  override name = 'GrpcStatusError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`grpc status ${code}: ${message}`);
  }
}

/** Raises the gRPC status carried by response headers or trailers, if it is not OK. */
function statusError(headers: http2.IncomingHttpHeaders): GrpcStatusError | undefined {
  const status = headers['grpc-status'];
  if (status === undefined || status === '0') return undefined;
  return new GrpcStatusError(Number(status), decodeURIComponent(String(headers['grpc-message'] ?? '')));
}

export interface BidiStream {
  write(message: Uint8Array): void;
  close(): void;
}

export class GrpcConnection {
  readonly #session: http2.ClientHttp2Session;
  /** metadata sent with every call (the auth token, when the run authenticated) */
  #metadata: Record<string, string> = {};

  constructor(endpoint: string) {
    this.#session = http2.connect(`http://${endpoint}`);
    this.#session.on('error', () => undefined); // each call reports its own failure
  }

  /** Sends etcd's auth token (gRPC metadata `token`) with every later call. */
  useToken(token: string): void {
    this.#metadata = { token };
  }

  /** One unary call; `done` gets the reply message (or the error) once. */
  unary(path: string, frame: Buffer, done: (err: Error | null, reply?: Buffer) => void): void {
    const stream = this.#session.request({ ...this.#metadata, ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    stream.on('response', (headers) => (error ??= statusError(headers)));
    stream.on('trailers', (trailers) => (error ??= statusError(trailers)));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (err) => (error ??= err));
    stream.on('close', () => {
      if (error) return done(error);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (body.length < 5) return done(new Error('grpc: no reply message'));
      done(null, body.subarray(5, 5 + body.readUInt32BE(1)));
    });
    stream.end(frame);
  }

  /** A bidirectional stream: messages written as they come, replies handed over one by one. */
  bidi(path: string, onMessage: (message: Buffer) => void, onEnd: (err: Error | undefined) => void): BidiStream {
    const stream = this.#session.request({ ...this.#metadata, ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
    const reader = new FrameReader(onMessage);
    let error: Error | undefined;
    stream.on('response', (headers) => (error ??= statusError(headers)));
    stream.on('trailers', (trailers) => (error ??= statusError(trailers)));
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.on('error', (err) => (error ??= err));
    stream.on('close', () => onEnd(error));
    return {
      write: (message) => void stream.write(grpcFrame(message)),
      close: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    };
  }

  close(): void {
    this.#session.close();
  }
}
