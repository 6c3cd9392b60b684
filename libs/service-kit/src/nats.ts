// NATS connection and the two message patterns eckd needs beyond plain
// request/reply: headers from a plain record, and chunked replies (a reply
// too large for one message is streamed to the requester's inbox).
import { connect } from '@nats-io/transport-node';
import { createInbox, headers as natsHeaders } from '@nats-io/nats-core';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import type { Logger } from './logger.js';

export type { Msg, NatsConnection };

/** Connects and keeps reconnecting forever; status changes are logged. */
export async function connectNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn('nats status', { type: s.type });
    }
  })();
  return nc;
}

/** Payload bytes a message may carry on this connection. */
export function maxPayloadBytes(nc: NatsConnection): number {
  return nc.info?.max_payload ?? 1024 * 1024;
}

export function toHeaders(record: Record<string, string>): MsgHdrs | undefined {
  const keys = Object.keys(record);
  if (keys.length === 0) return undefined;
  const h = natsHeaders();
  for (const k of keys) h.set(k, record[k] as string);
  return h;
}

export function headerGetter(msg: Msg): (name: string) => string | undefined {
  return (name) => {
    const v = msg.headers?.get(name);
    return v === undefined || v === '' ? undefined : v;
  };
}

export class ChunkedRequestError extends Error {
  override name = 'ChunkedRequestError';
}

/**
 * Sends `payload` to `subject` and yields the decoded reply chunks until
 * `isLast(chunk)`. Each chunk must arrive within `chunkTimeoutMs`.
 */
export async function* requestChunks<T>(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  opts: { decode: (bytes: Uint8Array) => T; isLast: (chunk: T) => boolean; chunkTimeoutMs: number; headers?: Record<string, string> },
): AsyncGenerator<T> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const iterator = sub[Symbol.asyncIterator]();
  try {
    nc.publish(subject, payload, { reply: inbox, headers: toHeaders(opts.headers ?? {}) });
    for (;;) {
      const next = await withTimeout(iterator.next(), opts.chunkTimeoutMs, `no reply chunk on ${subject} within ${opts.chunkTimeoutMs} ms`);
      if (next.done) throw new ChunkedRequestError(`service-kit: reply stream on ${subject} closed early`);
      const chunk = opts.decode(next.value.data);
      yield chunk;
      if (opts.isLast(chunk)) return;
    }
  } finally {
    sub.unsubscribe();
  }
}

/** Publishes each chunk to the request's reply inbox, in order. */
export async function replyChunks(nc: NatsConnection, reply: string | undefined, chunks: Iterable<Uint8Array>): Promise<void> {
  if (!reply) return;
  let n = 0;
  for (const chunk of chunks) {
    nc.publish(reply, chunk);
    // Let the socket drain now and then so a large reply does not buffer whole.
    if (++n % 16 === 0) await nc.flush();
  }
  await nc.flush();
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChunkedRequestError(`service-kit: ${message}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
