import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './logger.js';

/** The log lines `fn` writes to stdout (the test runner writes there too: its bytes pass through). */
async function linesOf(fn: () => Promise<void> | void): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    typeof chunk === 'string' && chunk.startsWith('{"time"') ? written.push(chunk) > 0 : write(chunk, ...rest)) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('logger - a line written while a span is active carries its trace_id and span_id; others do not', async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const log = createLogger('spec', { level: 'info' });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';
  const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 });
  const lines = await linesOf(async () => {
    log.info('outside');
    await context.with(trace.setSpan(context.active(), span), async () => {
      await new Promise((resolve) => setImmediate(resolve));
      log.child({ part: 'x' }).warn('inside', { n: 1 });
    });
  });
  assert.deepEqual(lines.map((l) => [l['msg'], l['trace_id'], l['span_id']]), [
    ['outside', undefined, undefined],
    ['inside', traceId, spanId],
  ]);
  assert.equal(lines[1]!['service'], 'spec');
  assert.equal(lines[1]!['part'], 'x');
  context.disable();
});
