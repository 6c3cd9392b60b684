// All of eckd's NATS traffic goes through a Messenger: publish, subscribe,
// request/reply and request/stream-of-replies, with payloads of any size
// (fragmented above the server's max_payload, see fragments.ts) and one
// long-lived inbox subscription for every reply. `NatsMessenger` is the
// real one; `MemoryMessenger` (memory-messenger.ts) lets unit tests control
// delivery. A handler that throws is logged and the subscription goes on
// (nats.js stops reading its connection when a callback throws).
import { nuid } from '@nats-io/nats-core';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { FragmentAssembler, defaultFragmentLimits, formatFragment, fragmentHeader, parseFragment, splitPayload } from './fragments.js';
import type { FragmentLimits } from './fragments.js';
import type { Logger } from './logger.js';
import { inboxPrefixOf, toHeaders } from './nats.js';
import { histogram, latencySecondsBuckets } from '@eckd/telemetry';

/** A whole (reassembled) message. */
export interface Message {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  header(name: string): string | undefined;
  /** Replies to the sender (any size). No-op when the sender asked for no reply. */
  respond(payload: Uint8Array, headers?: Record<string, string>): void;
}

export type MessageHandler = (m: Message) => void | Promise<void>;

export interface PublishOptions {
  headers?: Record<string, string>;
  reply?: string;
}

export interface Messenger {
  publish(subject: string, payload: Uint8Array, opts?: PublishOptions): void;
  /**
   * Calls `handler` with every whole message on `subject`. `queue`: the
   * subscribers of one queue group share the messages (each goes to one of
   * them). Only for subjects whose messages are never fragmented: fragments
   * of one message could go to different members.
   */
  subscribe(subject: string, handler: MessageHandler, opts?: { queue?: string }): { unsubscribe(): void };
  /** One request, one reply; rejects with MessengerTimeoutError. */
  request(subject: string, payload: Uint8Array, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<Message>;
  /**
   * One request, a stream of replies: yields each until the caller stops
   * iterating; each reply must come within `chunkTimeoutMs`.
   */
  requestStream(subject: string, payload: Uint8Array, opts: { chunkTimeoutMs: number; headers?: Record<string, string> }): AsyncGenerator<Message>;
  /** Resolves once what was published so far has reached the server (lets a large reply drain). */
  flush(): Promise<void>;
}

const natsRequestSeconds = histogram('eckd_nats_request_duration_seconds', 'NATS request round trips, by subject (without prefix and node) and outcome.', latencySecondsBuckets);

/** `<prefix>.<node>.persister.append.v1` → `persister.append.v1`: one label value per kind of request. */
export function subjectKind(subject: string): string {
  return subject.split('.').slice(2).join('.');
}

export class MessengerTimeoutError extends Error {
  override name = 'MessengerTimeoutError';
}

interface PendingReply {
  deliver: (m: Message) => void;
  fail: (err: Error) => void;
}

/** A transport's delivery to a subscription: the message, and whether it is the server's "no responders" answer. */
export type Delivery = (m: Message, noResponders: boolean) => void;

/** Request/reply over one inbox subscription, for any transport that can publish and subscribe. */
export abstract class InboxMessenger implements Messenger {
  readonly #inboxPrefix: string;
  readonly #pending = new Map<string, PendingReply>();

  /** `inboxPrefix`: the reply subjects this messenger may subscribe to (NATS_INBOX_PREFIX for NATS). */
  constructor(
    protected readonly log: Logger,
    inboxPrefix: string,
  ) {
    this.#inboxPrefix = `${inboxPrefix}.${nuid.next()}`;
  }

  #listening = false;

  /**
   * Subscribes the reply inbox at the first request, so a process that only
   * answers (the persister, the compactor) never subscribes to an inbox its
   * NATS user may not read. The subscription goes out before the request
   * on the same connection, so no reply can miss it.
   */
  #listenForReplies(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.subscribeTransport(
      `${this.#inboxPrefix}.*`,
      (m, noResponders) => {
        const pending = this.#pending.get(m.subject.slice(this.#inboxPrefix.length + 1));
        if (noResponders) pending?.fail(new MessengerTimeoutError(`service-kit: no responders`));
        else pending?.deliver(m);
      },
      {},
    );
  }

  abstract publish(subject: string, payload: Uint8Array, opts?: PublishOptions): void;
  abstract flush(): Promise<void>;
  protected abstract subscribeTransport(subject: string, deliver: Delivery, opts: { queue?: string }): { unsubscribe(): void };

  subscribe(subject: string, handler: MessageHandler, opts: { queue?: string } = {}): { unsubscribe(): void } {
    const fail = (err: unknown) => this.log.error('message handler failed', { subject, err });
    return this.subscribeTransport(
      subject,
      (m) => {
        try {
          const done = handler(m);
          if (done instanceof Promise) done.catch(fail);
        } catch (err) {
          fail(err);
        }
      },
      opts,
    );
  }

  async request(subject: string, payload: Uint8Array, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<Message> {
    const started = performance.now();
    let outcome = 'error';
    try {
      for await (const m of this.requestStream(subject, payload, { chunkTimeoutMs: opts.timeoutMs, headers: opts.headers })) {
        outcome = 'ok';
        return m;
      }
      throw new MessengerTimeoutError(`service-kit: no reply on ${subject}`);
    } finally {
      natsRequestSeconds.record((performance.now() - started) / 1000, { subject: subjectKind(subject), outcome });
    }
  }

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
      this.#listenForReplies();
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
}

/** Room for headers and protocol framing within max_payload. */
const framingBytes = 8 * 1024;

export class NatsMessenger extends InboxMessenger {
  /** Fragment ids start with it, so receivers bound reassembly per sender. */
  readonly #senderId = nuid.next();
  readonly #pieceBytes: number;
  readonly #assembler: FragmentAssembler;
  readonly #expiry: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    opts: { log: Logger; fragments?: FragmentLimits },
  ) {
    super(opts.log, inboxPrefixOf(nc));
    const limits = opts.fragments ?? defaultFragmentLimits;
    this.#pieceBytes = Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - framingBytes);
    this.#assembler = new FragmentAssembler({
      ...limits,
      onDrop: (reason, id, bytes) => this.log.warn('fragmented message dropped', { reason, id, bytes, dropped: this.#assembler.dropped }),
    });
    this.#expiry = setInterval(() => this.#assembler.expire(), Math.max(1_000, Math.floor(limits.timeoutMs / 2)));
    this.#expiry.unref();
    void nc.closed().then(() => clearInterval(this.#expiry));
  }

  publish(subject: string, payload: Uint8Array, opts: PublishOptions = {}): void {
    if (payload.length <= this.#pieceBytes) {
      this.nc.publish(subject, payload, { headers: toHeaders(opts.headers ?? {}), reply: opts.reply });
      return;
    }
    const pieces = splitPayload(payload, this.#pieceBytes);
    const id = `${this.#senderId}.${nuid.next()}`;
    pieces.forEach((piece, index) => {
      const headers = { ...opts.headers, [fragmentHeader]: formatFragment({ id, index, count: pieces.length }) };
      this.nc.publish(subject, piece, { headers: toHeaders(headers), reply: opts.reply });
    });
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  protected subscribeTransport(subject: string, deliver: Delivery, opts: { queue?: string }): { unsubscribe(): void } {
    const sub = this.nc.subscribe(subject, {
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
      callback: (_err, msg) => {
        const frag = parseFragment(msg.headers?.get(fragmentHeader));
        const data = frag ? this.#assembler.accept(frag, msg.data) : msg.data;
        // The server answers a request nobody listens to with a 503 status.
        if (data) deliver(this.#wrap(msg, data), msg.headers?.code === 503 && msg.data.length === 0);
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
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
