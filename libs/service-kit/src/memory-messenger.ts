// An in-memory NATS for unit tests of the services' own code: messengers on
// one MemoryNetwork exchange messages as over one NATS server (subjects with
// `*`/`>` wildcards, queue groups, "no responders" for a request nobody
// listens to), delivered asynchronously in publish order. A test controls
// the network: it can drop, delay or hold (until released) the messages a
// predicate picks, and answer requests with "no responders".
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { InboxMessenger } from './messenger.js';
import type { Delivery, Message, PublishOptions } from './messenger.js';

/** A message as published on the network. */
export interface Envelope {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** set on the server's answer to a request nobody received */
  readonly noResponders?: boolean;
}

export type EnvelopeMatch = (e: Envelope) => boolean;

/** A message held by `MemoryNetwork.hold` until the test releases it. */
export interface HeldEnvelope {
  readonly envelope: Envelope;
  release(): void;
}

type Rule = { match: EnvelopeMatch } & ({ kind: 'drop' | 'hold' | 'noResponders' } | { kind: 'delay'; ms: number });

interface Subscription {
  tokens: string[];
  queue: string | undefined;
  deliver: Delivery;
  respond: (reply: string | undefined) => Message['respond'];
}

export class MemoryNetwork {
  readonly #subs = new Set<Subscription>();
  readonly #rules: Rule[] = [];
  readonly #held: HeldEnvelope[] = [];
  readonly #queueTurn = new Map<string, number>();
  #inTransit = 0;
  /** Every message published, in order (for assertions). */
  readonly published: Envelope[] = [];

  messenger(log: Logger = createLogger('memory-messenger', { level: 'error' })): MemoryMessenger {
    return new MemoryMessenger(this, log);
  }

  /** Drops the matching messages until the returned function is called. */
  drop(match: EnvelopeMatch): () => void {
    return this.#addRule({ kind: 'drop', match });
  }

  /** Holds the matching messages (see `held`, `release`) until the returned function is called. */
  hold(match: EnvelopeMatch): () => void {
    return this.#addRule({ kind: 'hold', match });
  }

  /** Delivers the matching messages `ms` later. */
  delay(match: EnvelopeMatch, ms: number): () => void {
    return this.#addRule({ kind: 'delay', ms, match });
  }

  /** Answers the matching requests with "no responders" whether or not someone listens. */
  noResponders(match: EnvelopeMatch): () => void {
    return this.#addRule({ kind: 'noResponders', match });
  }

  /** Messages held so far and not yet released, oldest first. */
  get held(): readonly HeldEnvelope[] {
    return [...this.#held];
  }

  /** Releases the held messages `match` picks (all by default), oldest first; returns how many. */
  release(match: EnvelopeMatch = () => true): number {
    const picked = this.#held.filter((h) => match(h.envelope));
    for (const h of picked) h.release();
    return picked.length;
  }

  /** Resolves once nothing published is still on its way (delayed and held messages aside). */
  async settle(): Promise<void> {
    while (this.#inTransit > 0) await new Promise((r) => setImmediate(r));
  }

  /** @internal */
  subscribe(subject: string, queue: string | undefined, deliver: Delivery, respond: Subscription['respond']): { unsubscribe(): void } {
    const sub: Subscription = { tokens: subject.split('.'), queue, deliver, respond };
    this.#subs.add(sub);
    return { unsubscribe: () => this.#subs.delete(sub) };
  }

  /** @internal */
  publish(envelope: Envelope): void {
    this.published.push(envelope);
    const rule = this.#rules.find((r) => r.match(envelope));
    if (rule?.kind === 'drop') return;
    if (rule?.kind === 'hold') {
      const held: HeldEnvelope = {
        envelope,
        release: () => {
          const at = this.#held.indexOf(held);
          if (at === -1) return;
          this.#held.splice(at, 1);
          this.#send(envelope, false, 0);
        },
      };
      this.#held.push(held);
      return;
    }
    this.#send(envelope, rule?.kind === 'noResponders', rule?.kind === 'delay' ? rule.ms : 0);
  }

  #addRule(rule: Rule): () => void {
    this.#rules.push(rule);
    return () => {
      const at = this.#rules.indexOf(rule);
      if (at !== -1) this.#rules.splice(at, 1);
    };
  }

  #send(envelope: Envelope, noResponders: boolean, delayMs: number): void {
    this.#inTransit++;
    const deliver = () => {
      this.#inTransit--;
      this.#route(envelope, noResponders);
    };
    if (delayMs > 0) setTimeout(deliver, delayMs);
    else setImmediate(deliver);
  }

  #route(envelope: Envelope, noResponders: boolean): void {
    const tokens = envelope.subject.split('.');
    const receivers: Subscription[] = [];
    const groups = new Map<string, Subscription[]>();
    if (!noResponders) {
      for (const sub of this.#subs) {
        if (!subjectMatches(sub.tokens, tokens)) continue;
        if (sub.queue === undefined) receivers.push(sub);
        else groups.set(sub.queue, [...(groups.get(sub.queue) ?? []), sub]);
      }
      for (const [queue, members] of groups) {
        const turn = this.#queueTurn.get(queue) ?? 0;
        this.#queueTurn.set(queue, turn + 1);
        receivers.push(members[turn % members.length]!);
      }
    }
    if (receivers.length === 0) {
      // As NATS does: a request nobody receives gets an empty 503 reply.
      if (envelope.reply) this.#send({ subject: envelope.reply, data: new Uint8Array(), reply: undefined, headers: {}, noResponders: true }, false, 0);
      return;
    }
    for (const sub of receivers) {
      const message: Message = {
        subject: envelope.subject,
        data: envelope.data,
        reply: envelope.reply,
        header: (name) => envelope.headers[name] || undefined,
        respond: sub.respond(envelope.reply),
      };
      sub.deliver(message, envelope.noResponders === true);
    }
  }
}

function subjectMatches(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '>') return subject.length > i;
    if (i >= subject.length || (pattern[i] !== '*' && pattern[i] !== subject[i])) return false;
  }
  return pattern.length === subject.length;
}

export class MemoryMessenger extends InboxMessenger {
  constructor(
    readonly network: MemoryNetwork,
    log: Logger,
  ) {
    super(log, '_INBOX');
  }

  publish(subject: string, payload: Uint8Array, opts: PublishOptions = {}): void {
    // A copy, as a network would: the sender may reuse its buffer.
    this.network.publish({ subject, data: Uint8Array.from(payload), reply: opts.reply, headers: { ...opts.headers } });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  protected subscribeTransport(subject: string, deliver: Delivery, opts: { queue?: string }): { unsubscribe(): void } {
    return this.network.subscribe(
      subject,
      opts.queue,
      deliver,
      (reply) => (payload, headers) => {
        if (reply) this.publish(reply, payload, { headers });
      },
    );
  }
}
