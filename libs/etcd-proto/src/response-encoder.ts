// Direct protobuf encoders for the responses the hot RPCs send (Range, Put,
// DeleteRange, Txn, LeaseKeepAlive, Watch), from the plain objects the
// handlers build. proto-loader's serializer runs protobufjs `fromObject`
// first, which turns every int64 into a Long (through its decimal string)
// and allocates a second object tree; this writes the bytes in one pass.
// Fields at their default value are left out, as Go (etcd) does.
// Inputs: int64 as number, decimal string, bigint or Long-like; enums as
// names or numbers; bytes as Uint8Array (a string is base64, as protobufjs
// reads it); an embedded message is written whenever it is set.

import { varintBytes } from './varint.js';

type Obj = Record<string, unknown>;

const wireVarint = 0;
const wireBytes = 2;

/** An int64/uint64 as a number when exact and non-negative, else as its 64-bit two's complement. */
function int64(value: unknown): number | bigint {
  if (typeof value === 'number') return value >= 0 && Number.isSafeInteger(value) ? value : BigInt.asUintN(64, BigInt(Math.trunc(value)));
  if (typeof value === 'string') {
    if (value.length < 16 && !value.startsWith('-')) return Number(value);
    return BigInt.asUintN(64, BigInt(value));
  }
  if (typeof value === 'bigint') return BigInt.asUintN(64, value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return BigInt.asUintN(64, BigInt(String(value)));
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return new Uint8Array(0);
}

const isZero = (v: number | bigint) => v === 0 || v === 0n;

/** Collects a message's bytes; sizes are computed first so nothing is copied twice. */
class Out {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  varint(v: number | bigint): void {
    const buf = this.buf;
    if (typeof v === 'number') {
      while (v >= 0x80) {
        buf[this.pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      buf[this.pos++] = v;
      return;
    }
    while (v >= 0x80n) {
      buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[this.pos++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, wireBytes);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** One field kind of a message schema. */
type Kind =
  | { kind: 'int'; field: number }
  | { kind: 'bool'; field: number }
  | { kind: 'bytes'; field: number }
  | { kind: 'string'; field: number }
  | { kind: 'enum'; field: number; values: Record<string, number> }
  | { kind: 'message'; field: number; schema: () => Schema; repeated?: boolean }
  | { kind: 'oneof'; members: Record<string, { field: number; schema: () => Schema }> };

type Schema = Record<string, Kind>;

const fieldTagSize = (field: number) => varintBytes(field * 8);

/** Encoded size of `m`; the sizes of embedded messages are kept in `sizes` for the write pass (none when only measuring). */
function size(schema: Schema, m: Obj, sizes: Map<Obj, number> | undefined): number {
  let n = 0;
  for (const name in schema) {
    const k = schema[name]!;
    if (k.kind === 'oneof') {
      for (const member in k.members) {
        const v = m[member];
        if (v === undefined || v === null) continue;
        n += fieldTagSize(k.members[member]!.field) + lengthDelimited(size(k.members[member]!.schema(), v as Obj, sizes), sizes, v as Obj);
        break;
      }
      continue;
    }
    const v = m[name];
    if (v === undefined || v === null) continue;
    switch (k.kind) {
      case 'int': {
        const i = int64(v);
        if (!isZero(i)) n += fieldTagSize(k.field) + varintBytes(i);
        break;
      }
      case 'bool':
        if (v === true) n += fieldTagSize(k.field) + 1;
        break;
      case 'bytes': {
        const b = bytesOf(v);
        if (b.length > 0) n += fieldTagSize(k.field) + varintBytes(b.length) + b.length;
        break;
      }
      case 'string': {
        const len = Buffer.byteLength(v as string);
        if (len > 0) n += fieldTagSize(k.field) + varintBytes(len) + len;
        break;
      }
      case 'enum': {
        const e = enumValue(k.values, v);
        if (e !== 0) n += fieldTagSize(k.field) + varintBytes(e);
        break;
      }
      case 'message':
        if (k.repeated) for (const item of v as Obj[]) n += fieldTagSize(k.field) + lengthDelimited(size(k.schema(), item, sizes), sizes, item);
        else n += fieldTagSize(k.field) + lengthDelimited(size(k.schema(), v as Obj, sizes), sizes, v as Obj);
        break;
    }
  }
  return n;
}

function lengthDelimited(inner: number, sizes: Map<Obj, number> | undefined, m: Obj): number {
  sizes?.set(m, inner);
  return varintBytes(inner) + inner;
}

function enumValue(values: Record<string, number>, v: unknown): number {
  return typeof v === 'number' ? v : (values[v as string] ?? 0);
}

function write(out: Out, schema: Schema, m: Obj, sizes: Map<Obj, number>): void {
  for (const name in schema) {
    const k = schema[name]!;
    if (k.kind === 'oneof') {
      for (const member in k.members) {
        const v = m[member];
        if (v === undefined || v === null) continue;
        embedded(out, k.members[member]!.field, k.members[member]!.schema(), v as Obj, sizes);
        break;
      }
      continue;
    }
    const v = m[name];
    if (v === undefined || v === null) continue;
    switch (k.kind) {
      case 'int': {
        const i = int64(v);
        if (isZero(i)) break;
        out.tag(k.field, wireVarint);
        out.varint(i);
        break;
      }
      case 'bool':
        if (v !== true) break;
        out.tag(k.field, wireVarint);
        out.varint(1);
        break;
      case 'bytes': {
        const b = bytesOf(v);
        if (b.length > 0) out.bytes(k.field, b);
        break;
      }
      case 'string':
        if ((v as string).length > 0) out.bytes(k.field, Buffer.from(v as string));
        break;
      case 'enum': {
        const e = enumValue(k.values, v);
        if (e === 0) break;
        out.tag(k.field, wireVarint);
        out.varint(e);
        break;
      }
      case 'message':
        if (k.repeated) for (const item of v as Obj[]) embedded(out, k.field, k.schema(), item, sizes);
        else embedded(out, k.field, k.schema(), v as Obj, sizes);
        break;
    }
  }
}

function embedded(out: Out, field: number, schema: Schema, m: Obj, sizes: Map<Obj, number>): void {
  out.tag(field, wireBytes);
  out.varint(sizes.get(m)!);
  write(out, schema, m, sizes);
}

// The schemas (field numbers from etcdserverpb/rpc.proto and mvccpb/kv.proto).
const int = (field: number): Kind => ({ kind: 'int', field });
const ResponseHeader: Schema = { cluster_id: int(1), member_id: int(2), revision: int(3), raft_term: int(4) };
const KeyValue: Schema = {
  key: { kind: 'bytes', field: 1 },
  create_revision: int(2),
  mod_revision: int(3),
  version: int(4),
  value: { kind: 'bytes', field: 5 },
  lease: int(6),
};
const Event: Schema = {
  type: { kind: 'enum', field: 1, values: { PUT: 0, DELETE: 1 } },
  kv: { kind: 'message', field: 2, schema: () => KeyValue },
  prev_kv: { kind: 'message', field: 3, schema: () => KeyValue },
};
const header: Kind = { kind: 'message', field: 1, schema: () => ResponseHeader };
const RangeResponse: Schema = { header, kvs: { kind: 'message', field: 2, schema: () => KeyValue, repeated: true }, more: { kind: 'bool', field: 3 }, count: int(4) };
const PutResponse: Schema = { header, prev_kv: { kind: 'message', field: 2, schema: () => KeyValue } };
const DeleteRangeResponse: Schema = { header, deleted: int(2), prev_kvs: { kind: 'message', field: 3, schema: () => KeyValue, repeated: true } };
const ResponseOp: Schema = {
  response: {
    kind: 'oneof',
    members: {
      response_range: { field: 1, schema: () => RangeResponse },
      response_put: { field: 2, schema: () => PutResponse },
      response_delete_range: { field: 3, schema: () => DeleteRangeResponse },
      response_txn: { field: 4, schema: () => TxnResponse },
    },
  },
};
const TxnResponse: Schema = { header, succeeded: { kind: 'bool', field: 2 }, responses: { kind: 'message', field: 3, schema: () => ResponseOp, repeated: true } };
const LeaseKeepAliveResponse: Schema = { header, ID: int(2), TTL: int(3) };
const WatchResponse: Schema = {
  header,
  watch_id: int(2),
  created: { kind: 'bool', field: 3 },
  canceled: { kind: 'bool', field: 4 },
  compact_revision: int(5),
  cancel_reason: { kind: 'string', field: 6 },
  fragment: { kind: 'bool', field: 7 },
  events: { kind: 'message', field: 11, schema: () => Event, repeated: true },
};

const responseSchemas = { RangeResponse, PutResponse, DeleteRangeResponse, TxnResponse } as const;

function encoder(schema: Schema): (message: Obj) => Buffer {
  return (message) => {
    const sizes = new Map<Obj, number>();
    const out = new Out(size(schema, message, sizes));
    write(out, schema, message, sizes);
    return out.buf;
  };
}

/** Encoders of etcdserverpb responses, by message name. */
export const responseEncoders = {
  RangeResponse: encoder(RangeResponse),
  PutResponse: encoder(PutResponse),
  DeleteRangeResponse: encoder(DeleteRangeResponse),
  TxnResponse: encoder(TxnResponse),
  LeaseKeepAliveResponse: encoder(LeaseKeepAliveResponse),
  WatchResponse: encoder(WatchResponse),
  ResponseHeader: encoder(ResponseHeader),
  Event: encoder(Event),
} as const;

/**
 * Encoded size of a response, without encoding it: lets a server refuse a
 * reply over its send limit before building the bytes.
 */
export function responseBytes(message: keyof typeof responseSchemas, value: Obj): number {
  return size(responseSchemas[message], value, undefined);
}

/**
 * grpc-go's answer (status RESOURCE_EXHAUSTED) to a reply larger than the
 * server's send limit (etcd sets grpc.MaxSendMsgSize): the message text,
 * or undefined when the reply fits.
 */
export function responseOverLimit(message: keyof typeof responseSchemas, value: Obj, maxBytes: number): string | undefined {
  const bytes = responseBytes(message, value);
  return bytes > maxBytes ? `grpc: trying to send message larger than max (${bytes} vs. ${maxBytes})` : undefined;
}

/** A field holding an already encoded message: tag, length, bytes. */
export function encodeEmbedded(field: number, message: Uint8Array): Buffer {
  const out = new Out(fieldTagSize(field) + varintBytes(message.length) + message.length);
  out.bytes(field, message);
  return out.buf;
}

/** An int64 field (nothing when zero, as proto3 leaves defaults out); a bigint keeps all 64 bits. */
export function encodeIntField(field: number, value: number | bigint): Buffer {
  const v = int64(value);
  if (isZero(v)) return Buffer.alloc(0);
  const out = new Out(fieldTagSize(field) + varintBytes(v));
  out.tag(field, wireVarint);
  out.varint(v);
  return out.buf;
}
