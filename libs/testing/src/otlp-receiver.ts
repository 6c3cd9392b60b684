// A minimal OTLP/HTTP JSON trace receiver, so tests can assert on the spans
// the apps export without running Jaeger.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Stoppable } from './dispose.js';
import { waitUntil } from './wait.js';

export const otlpBodyBytesMax = 32 * 1024 * 1024;
export const waitForSpansTimeoutMsDefault = 10_000;

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface ReceivedSpan {
  serviceName: string;
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  scopeName?: string;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  status?: { code?: number; message?: string };
}

export interface OtlpReceiver extends Stoppable {
  /** http://127.0.0.1:<port>, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** Resolves with all spans once `pred(all spans)` holds. */
  waitForSpans(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
}

interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue;
}
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: { name?: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpTraceExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

function anyValue(v: OtlpAnyValue | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue) return attributes(v.kvlistValue.values);
  return null;
}

function attributes(kvs: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of kvs ?? []) if (kv.key !== undefined) out[kv.key] = anyValue(kv.value);
  return out;
}

const optionalString = (v: string | number | undefined) => (v === undefined || v === '' ? undefined : String(v));

/** Flattens one OTLP JSON trace export into spans. */
export function parseOtlpTraces(body: OtlpTraceExport): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const serviceName = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          serviceName,
          traceId: s.traceId ?? '',
          spanId: s.spanId ?? '',
          parentSpanId: optionalString(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind,
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', attributes: attributes(e.attributes) })),
          scopeName: ss.scope?.name,
          startTimeUnixNano: optionalString(s.startTimeUnixNano),
          endTimeUnixNano: optionalString(s.endTimeUnixNano),
          status: s.status,
        });
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > otlpBodyBytesMax) throw new Error('body too large');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || !path?.startsWith('/v1/')) return reply(res, 404, { error: 'not found' });
    if (!String(req.headers['content-type'] ?? '').includes('json')) return reply(res, 415, { error: 'JSON only' });
    readBody(req)
      .then((buf) => {
        // Metrics and logs are accepted and ignored so exporters do not retry.
        if (path === '/v1/traces') received.push(...parseOtlpTraces(JSON.parse(buf.toString('utf8')) as OtlpTraceExport));
        reply(res, 200, {});
      })
      .catch((err: unknown) => reply(res, 400, { error: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    async waitForSpans(pred, timeoutMs = waitForSpansTimeoutMsDefault) {
      await waitUntil(() => pred([...received]), timeoutMs, 'spans matching the predicate');
      return [...received];
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
