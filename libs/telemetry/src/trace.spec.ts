import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { addSpanEvent, contextFromHeaders, handoffEvents, injectTraceHeaders, withSpan } from './trace.js';

// node:test runs each spec file in its own process, so these globals stay here.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

function finished(name: string): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  assert.ok(span, `span "${name}" was not exported`);
  return span;
}

/** What a NATS message would carry across the process boundary. */
function overTheWire(headers: Record<string, string>): (name: string) => string | undefined {
  const received = new Map(Object.entries(JSON.parse(JSON.stringify(headers)) as Record<string, string>));
  return (name) => received.get(name) ?? '';
}

describe('trace propagation through headers', () => {
  beforeEach(() => exporter.reset());

  test('no active span injects nothing', () => {
    assert.deepEqual(injectTraceHeaders(), {});
  });

  test('the receiving side continues the sender trace as a child span', async () => {
    const headers = await withSpan('frontend.put', { kind: SpanKind.PRODUCER }, () => injectTraceHeaders());
    assert.match(headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The receiver handles the message while some unrelated span is active:
    // the handler span must still hang off the sender, not off that span.
    await withSpan('subscriber loop', {}, () =>
      withSpan('backend.propose', { kind: SpanKind.CONSUMER, parent: contextFromHeaders(overTheWire(headers)) }, () =>
        addSpanEvent(handoffEvents.proposedToBackend, { 'eckd.revision': 7 }),
      ),
    );

    const sent = finished('frontend.put');
    const received = finished('backend.propose');
    assert.equal(received.spanContext().traceId, sent.spanContext().traceId);
    assert.equal(received.parentSpanContext?.spanId, sent.spanContext().spanId);
    assert.equal(received.parentSpanContext?.isRemote, true);
    assert.equal(received.kind, SpanKind.CONSUMER);
    assert.deepEqual(
      received.events.map((e) => [e.name, e.attributes]),
      [['proposed to backend', { 'eckd.revision': 7 }]],
    );
  });

  test('tracestate is carried along', async () => {
    const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'eckd=1' };
    const forwarded = await withSpan('hop', { parent: contextFromHeaders(overTheWire(incoming)) }, () =>
      injectTraceHeaders(),
    );
    assert.equal(forwarded.tracestate, 'eckd=1');
    assert.match(forwarded.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-/);
  });

  test('a message without trace headers starts a new trace', async () => {
    await withSpan('outer', {}, () => withSpan('handler', { parent: contextFromHeaders(() => undefined) }, () => {}));
    assert.equal(finished('handler').parentSpanContext, undefined);
    assert.notEqual(finished('handler').spanContext().traceId, finished('outer').spanContext().traceId);
  });
});

describe('withSpan', () => {
  beforeEach(() => exporter.reset());

  test('nests under the active span and returns the result', async () => {
    const result = await withSpan('outer', { attributes: { 'eckd.key': 'a' } }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return withSpan('inner', {}, (span) => span.isRecording());
    });
    assert.equal(result, true);
    assert.equal(finished('inner').parentSpanContext?.spanId, finished('outer').spanContext().spanId);
    assert.deepEqual(finished('outer').attributes, { 'eckd.key': 'a' });
  });

  test('records a rejection, sets the error status, ends the span and rethrows', async () => {
    const boom = new Error('disk full');
    await assert.rejects(
      withSpan('persist', {}, async () => {
        await Promise.resolve();
        throw boom;
      }),
      (err) => err === boom,
    );
    const span = finished('persist');
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'disk full' });
    const exception = span.events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes?.['exception.message'], 'disk full');
    assert.equal(exception?.attributes?.['exception.type'], 'Error');
    assert.ok(span.ended);
  });

  test('records a synchronous throw of a non-Error', async () => {
    await assert.rejects(
      withSpan('sync', {}, () => {
        throw 'plain string';
      }),
      (err) => err === 'plain string',
    );
    assert.deepEqual(finished('sync').status, { code: SpanStatusCode.ERROR, message: 'plain string' });
  });

  test('addSpanEvent without an active span is a no-op', () => {
    assert.doesNotThrow(() => addSpanEvent(handoffEvents.persisted));
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});
