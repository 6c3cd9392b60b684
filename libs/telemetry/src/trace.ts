// Span helpers for every eckd process. Depends only on `@opentelemetry/api`:
// without a registered SDK every call here is a cheap no-op, so libraries and
// tests can use them freely; `node-sdk.ts` is what makes spans real.
import { ROOT_CONTEXT, SpanStatusCode, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Exception, Span, SpanKind, TextMapGetter, Tracer } from '@opentelemetry/api';

/** Reads one message header; absent headers may come back as `undefined` or `''` (nats.js). */
export type HeaderLookup = (name: string) => string | undefined;

export interface WithSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context, e.g. from `contextFromHeaders`; defaults to the active context. */
  parent?: Context;
  /** Defaults to the `eckd` tracer. */
  tracer?: Tracer;
}

/** Span event names for the handoffs between processes, defined once. */
export const handoffEvents = Object.freeze({
  proposedToBackend: 'proposed to backend',
  persisted: 'persisted',
  publishedPatch: 'published patch',
  appliedByFrontend: 'applied by frontend',
} as const);

const defaultTracerName = 'eckd';

const headerLookupGetter: TextMapGetter<HeaderLookup> = {
  get: (lookup, key) => lookup(key) || undefined,
  // Only the W3C trace-context propagator is used, and it asks for its
  // headers by name; listing keys is never needed.
  keys: () => [],
};

export function tracer(name: string, version?: string): Tracer {
  return trace.getTracer(name, version);
}

/**
 * The `traceparent`/`tracestate` headers for `ctx` (default: the active
 * context), to put on an outgoing NATS message. Empty when there is no span.
 */
export function injectTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return headers;
  propagation.inject(ctx, headers);
  return headers;
}

/**
 * The remote parent carried by an incoming message's headers. Extraction
 * starts from the root context, not the active one: a message handler's span
 * belongs to the sender's trace, not to whatever the subscriber loop holds.
 * Without trace headers the result is the root context (a new trace).
 */
export function contextFromHeaders(get: HeaderLookup): Context {
  return propagation.extract(ROOT_CONTEXT, get, headerLookupGetter);
}

/**
 * Runs `fn` inside a new span that is active for `fn`'s whole (async) run.
 * A throw or rejection is recorded on the span, sets the error status and is
 * rethrown; the span is always ended.
 */
export async function withSpan<T>(
  name: string,
  options: WithSpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const spanTracer = options.tracer ?? trace.getTracer(defaultTracerName);
  const span = spanTracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(toException(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Starts a span that the caller ends (for work that begins and ends in
 * different calls, e.g. a peer sync round); it has no parent and is not made
 * active. A no-op span when no SDK is registered.
 */
export function startSpan(name: string, attributes?: Attributes): Span {
  return trace.getTracer(defaultTracerName).startSpan(name, { attributes }, ROOT_CONTEXT);
}

/** Adds an event (e.g. one of `handoffEvents`) to the active span, if any. */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}

function toException(err: unknown): Exception {
  return err instanceof Error ? err : String(err);
}
