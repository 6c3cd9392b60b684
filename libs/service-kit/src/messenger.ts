// All of eckd's NATS traffic goes through a Messenger: publish, subscribe,
// request/reply and request/stream-of-replies, with payloads of any size
// (fragmented above the server's max_payload, see fragments.ts) and one
// long-lived inbox subscription for every reply.
import { nuid } from '@nats-io/nats-core';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { FragmentAssembler, formatFragment, fragmentHeader, parseFragment, splitPayload } from './fragments.js';
import { inboxPrefixOf, toHeaders } from './nats.js';

/** A whole (reassembled) message. */
export interface Message {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  header(name: string): string | undefined;
  /** Replies to the sender (any size). No-op when the sender asked for no reply. */
  respond(payload: Uint8Array, headers?: Record<string, string>): void;
}

export class MessengerTimeoutError extends Error {
  override name = 'MessengerTimeoutError';
}

/** Room for headers and protocol framing within max_payload. */
const framingBytes = 8 * 1024;
const reassemblyTimeoutMs = 30_000;
const reassemblyBytesMax = 256 * 1024 * 1024;

interface PendingReply {
  deliver: (m: Message) => void;
  fail: (err: Error) => void;
}

export class Messenger {
  readonly #inboxPrefix: string;
  readonly #pending = new Map<string, PendingReply>();
  readonly #pieceBytes: number;

  constructor(readonly nc: NatsConnection) {
    this.#inboxPrefix = `${inboxPrefixOf(nc)}.${nuid.next()}`;
    this.#pieceBytes = Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - framingBytes);
    this.subscribe(`${this.#inboxPrefix}.*`, (m, noResponders) => {
      const pending = this.#pending.get(m.subject.slice(this.#inboxPrefix.length + 1));
      if (noResponders) pending?.fail(new MessengerTimeoutError(`service-kit: no responders`));
      else pending?.deliver(m);
    });
  }

  publish(subject: string, payload: Uint8Array, opts: { headers?: Record<string, string>; reply?: string } = {}): void {
    if (payload.length <= this.#pieceBytes) {
      this.nc.publish(subject, payload, { headers: toHeaders(opts.headers ?? {}), reply: opts.reply });
      return;
    }
    const pieces = splitPayload(payload, this.#pieceBytes);
    const id = nuid.next();
    pieces.forEach((piece, index) => {
      const headers = { ...opts.headers, [fragmentHeader]: formatFragment({ id, index, count: pieces.length }) };
      this.nc.publish(subject, piece, { headers: toHeaders(headers), reply: opts.reply });
    });
  }

  /** Calls `handler` with every whole message on `subject`. */
  /**
   * `queue`: the subscribers of one queue group share the messages (each
   * goes to one of them). Only for subjects whose messages are never
   * fragmented: fragments of one message could go to different members.
   */
  subscribe(subject: string, handler: (m: Message, noResponders: boolean) => void, opts: { queue?: string } = {}): { unsubscribe(): void } {
    const assembler = new FragmentAssembler({ pendingBytesMax: reassemblyBytesMax, timeoutMs: reassemblyTimeoutMs });
    const sub = this.nc.subscribe(subject, {
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
      callback: (_err, msg) => {
        const frag = parseFragment(msg.headers?.get(fragmentHeader));
        const data = frag ? assembler.accept(frag, msg.data) : msg.data;
        // The server answers a request nobody listens to with a 503 status.
        if (data) handler(this.#wrap(msg, data), msg.headers?.code === 503 && msg.data.length === 0);
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  /** One request, one reply; rejects with MessengerTimeoutError. */
  async request(subject: string, payload: Uint8Array, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<Message> {
    for await (const m of this.requestStream(subject, payload, { chunkTimeoutMs: opts.timeoutMs, headers: opts.headers })) return m;
    throw new MessengerTimeoutError(`service-kit: no reply on ${subject}`);
  }

  /**
   * One request, a stream of replies: yields each until the caller stops
   * iterating; each reply must come within `chunkTimeoutMs`.
   */
  async *requestStream(subject: string, payload: Uint8Array, opts: { chunkTimeoutMs: number; headers?: Record<string, string> }): AsyncGenerator<Message> {
    const token = nuid.next();
    const queue: Message[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    this.#pending.set(token, {
      deliver: (m) => {
        queue.push(m);
        wake?.();
      },
      fail: (err) => {
        failure = err;
        wake?.();
      },
    });
    try {
      this.publish(subject, payload, { headers: opts.headers, reply: `${this.#inboxPrefix}.${token}` });
      for (;;) {
        if (queue.length === 0 && !failure) await this.#wait(opts.chunkTimeoutMs, subject, (w) => (wake = w));
        wake = undefined;
        if (failure) throw failure;
        yield queue.shift()!;
      }
    } finally {
      this.#pending.delete(token);
    }
  }

  #wait(ms: number, subject: string, register: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MessengerTimeoutError(`service-kit: no reply on ${subject} within ${ms} ms`)), ms);
      register(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wrap(msg: Msg, data: Uint8Array): Message {
    return {
      subject: msg.subject,
      data,
      reply: msg.reply || undefined,
      header: (name) => {
        const v = msg.headers?.get(name);
        return v === undefined || v === '' ? undefined : v;
      },
      respond: (payload, headers) => {
        if (msg.reply) this.publish(msg.reply, payload, { headers });
      },
    };
  }
}
