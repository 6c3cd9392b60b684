// Watch steps: a scenario's bidirectional Watch streams on one server.
// A step sends WatchRequests on a named stream (opened on first use), then
// collects WatchResponses: a given number of them, or whatever arrives until
// a quiet period passes. Responses queue per stream, so a response a step
// did not wait for shows up in the next step on that stream, or in the
// leftovers read when the scenario ends, and is compared there.
import type * as grpc from '@grpc/grpc-js';
import type { WatchClient, WatchRequest, WatchResponse__Output } from '@eckd/etcd-proto';
import { encodeRequest } from './encode.js';
import { normaliseOutcome } from './normalise.js';
import type { Normalised } from './normalise.js';
import type { ReqObject } from './scenario.js';

/** How long a step waits for the responses it counts on. */
export const watchResponseTimeoutMsDefault = 2_000;
/** Silence that ends a quiet-period collection (and the leftovers check). */
export const watchQuietMsDefault = 250;

/** `req` of a watch step (written by the builders in watch-dsl.ts; read back with watchStepRequestOf). */
export interface WatchStepRequest {
  stream: string;
  send: ReqObject[];
  /** responses to wait for; 0 = collect until `quiet_ms` of silence */
  responses: number;
  /** the longest the step collects (default: 2 s for n responses, 4 × quiet_ms for a quiet period) */
  timeout_ms?: number;
  quiet_ms?: number;
  /** compare the collected responses as a set: responses of different watches have no order between them */
  unordered?: boolean;
  /** progress notifications (no events, not created or canceled) are dropped before counting */
  skip_progress?: boolean;
}

/** A watch step's request out of the step's plain request object, checked. */
export function watchStepRequestOf(req: ReqObject): WatchStepRequest {
  const { stream, send, responses, timeout_ms: timeoutMs, quiet_ms: quietMs, unordered, skip_progress: skipProgress } = req;
  if (typeof stream !== 'string' || !Array.isArray(send) || typeof responses !== 'number') {
    throw new Error(`conformance: a watch step needs stream, send and responses: ${JSON.stringify(req)}`);
  }
  const requests = send.filter((r): r is ReqObject => typeof r === 'object' && !Array.isArray(r) && !('$rev' in r) && !('$bytes' in r));
  if (requests.length !== send.length) throw new Error('conformance: a watch step sends request objects');
  const step: WatchStepRequest = { stream, send: requests, responses };
  if (typeof timeoutMs === 'number') step.timeout_ms = timeoutMs;
  if (typeof quietMs === 'number') step.quiet_ms = quietMs;
  if (unordered === true) step.unordered = true;
  if (skipProgress === true) step.skip_progress = true;
  return step;
}

type Received = { response: Record<string, unknown> } | { stream_error: { code: number; details: string } } | { stream_end: true };

type WatchCall = grpc.ClientDuplexStream<WatchRequest, WatchResponse__Output>;

/** One open stream and what it received that no step has taken yet. */
class StreamCollector {
  readonly #call: WatchCall;
  readonly #queue: Received[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(client: WatchClient) {
    this.#call = client.Watch();
    this.#call.on('data', (r: WatchResponse__Output) => this.#push({ response: { ...r } }));
    this.#call.on('error', (e: grpc.ServiceError) => this.#push({ stream_error: { code: e.code, details: e.details } }));
    this.#call.on('end', () => this.#push({ stream_end: true }));
  }

  send(req: Record<string, unknown>): void {
    this.#call.write(req);
  }

  /** Up to `n` items, waiting at most `timeoutMs` for them; with `skipProgress`, progress notifications are dropped. */
  async take(n: number, timeoutMs: number, skipProgress = false): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    const dropProgress = () => {
      if (!skipProgress) return;
      for (let i = this.#queue.length - 1; i >= 0; i--) if (isProgressNotification(this.#queue[i]!)) this.#queue.splice(i, 1);
    };
    dropProgress();
    while (this.#queue.length < n && !this.#ended && Date.now() < deadline) {
      await this.#next(deadline - Date.now());
      dropProgress();
    }
    return this.#queue.splice(0, n);
  }

  /** Everything that arrives until `quietMs` pass without anything new, or `maxMs` in all. */
  async quiet(quietMs: number, maxMs: number): Promise<Received[]> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      const before = this.#queue.length;
      await this.#next(Math.min(quietMs, deadline - Date.now()));
      if (this.#queue.length === before || this.#ended || Date.now() >= deadline) return this.#queue.splice(0);
    }
  }

  close(): void {
    this.#ended = true;
    this.#call.cancel();
  }

  #push(item: Received): void {
    if (this.#ended) return;
    if (!('response' in item)) this.#ended = true;
    this.#queue.push(item);
    this.#wake?.();
  }

  #next(waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, waitMs));
      this.#wake = done;
    });
  }
}

/**
 * A progress_notify tick (a watch's own id, no events). Their timing is the
 * server's, so the leftovers check ignores them; steps still compare them.
 */
function isPeriodicProgress(item: Received): boolean {
  if (!('response' in item)) return false;
  const r = item.response;
  const noEvents = !Array.isArray(r['events']) || r['events'].length === 0;
  return noEvents && r['created'] !== true && r['canceled'] !== true && Number(r['watch_id']) >= 0 && Number(r['compact_revision'] ?? 0) === 0;
}

function normaliseReceived(items: Received[], base: number): unknown[] {
  return items.map((item) => ('response' in item ? (normaliseOutcome(item, base) as { response: unknown }).response : item));
}

/** A scenario's watch streams on one server. */
export class WatchSession {
  readonly #client: WatchClient;
  readonly #streams = new Map<string, StreamCollector>();

  constructor(client: WatchClient) {
    this.#client = client;
  }

  /** Runs one watch step; the outcome is `{ response: { responses: [...], missing? } }`. */
  async step(req: WatchStepRequest, base: number): Promise<Normalised> {
    let stream = this.#streams.get(req.stream);
    if (!stream) {
      stream = new StreamCollector(this.#client);
      this.#streams.set(req.stream, stream);
    }
    for (const r of req.send) stream.send(encodeRequest(r, base));
    const items =
      req.responses > 0
        ? await stream.take(req.responses, req.timeout_ms ?? watchResponseTimeoutMsDefault, req.skip_progress === true)
        : await stream.quiet(req.quiet_ms ?? watchQuietMsDefault, req.timeout_ms ?? 4 * (req.quiet_ms ?? watchQuietMsDefault));
    const responses = normaliseReceived(items, base);
    if (req.unordered) responses.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    const outcome: Record<string, unknown> = { responses };
    if (items.length < req.responses) outcome['missing'] = req.responses - items.length;
    return { response: outcome };
  }

  /** What no step took, per stream (after a quiet period); then closes every stream. */
  async finish(base: number): Promise<Record<string, unknown[]>> {
    const names = [...this.#streams.keys()].sort();
    const rest = await Promise.all(names.map((n) => this.#streams.get(n)!.quiet(watchQuietMsDefault, 4 * watchQuietMsDefault)));
    for (const s of this.#streams.values()) s.close();
    this.#streams.clear();
    const leftovers: Record<string, unknown[]> = {};
    names.forEach((n, i) => {
      const items = rest[i]!.filter((item) => !isPeriodicProgress(item));
      if (items.length > 0) leftovers[n] = normaliseReceived(items, base);
    });
    return leftovers;
  }
}

/** A response that only reports progress: no events, not a create, a cancel or a fragment. */
function isProgressNotification(item: Received): boolean {
  if (!('response' in item)) return false;
  const r = item.response;
  return (!Array.isArray(r['events']) || r['events'].length === 0) && r['created'] !== true && r['canceled'] !== true && r['fragment'] !== true;
}
