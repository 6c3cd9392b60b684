// Turns a scenario request into the object handed to grpc-js: markers
// resolved for one server, byte fields as Buffers. Strings in byte fields
// are taken as latin1 so that every char is one byte ("a\xff" is 2 bytes);
// left as strings, protobufjs would read them as base64.
import type { ReqObject, ReqValue } from './scenario.js';

const byteFields = new Set(['key', 'range_end', 'value']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function encodeValue(v: ReqValue, field: string, base: number): unknown {
  if (Array.isArray(v)) return v.map((x) => encodeValue(x, field, base));
  if (isObject(v)) {
    if (typeof v['$rev'] === 'number') return String(base + v['$rev']);
    if (typeof v['$bytes'] === 'number') return Buffer.alloc(v['$bytes'], typeof v['fill'] === 'string' ? v['fill'] : 'x');
    return encodeRequest(v as ReqObject, base);
  }
  if (typeof v === 'string' && byteFields.has(field)) return Buffer.from(v, 'latin1');
  return v;
}

/** The wire form of `req` for a server whose scenario base revision is `base`. */
export function encodeRequest(req: ReqObject, base: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(req)) out[field] = encodeValue(v, field, base);
  return out;
}
