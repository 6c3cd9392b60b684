// The size a message has on the wire when encoded as etcd (Go, proto3) does:
// fields at their default value are left out. protobufjs writes explicitly
// set zero values, so its output cannot be measured for this; etcd's limits
// (--max-request-bytes) are defined on Go's encoding.
import protobuf from 'protobufjs';
import type { Field, Type } from 'protobufjs';
import { etcdProtoRoot } from './proto-root.js';
import { varintBytes } from './varint.js';


function tagBytes(field: Field): number {
  return varintBytes(field.id << 3);
}

function isDefault(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0 || value === '0') return true;
  if (typeof value === 'bigint') return value === 0n;
  if (value instanceof Uint8Array) return value.length === 0;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function scalarBytes(field: Field, value: unknown): number {
  switch (field.type) {
    case 'bytes':
      return lengthDelimited((value as Uint8Array).length);
    case 'string':
      return lengthDelimited(Buffer.byteLength(value as string));
    case 'bool':
      return 1;
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 8;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 4;
    case 'sint32':
    case 'sint64': {
      const v = BigInt(value as string | number);
      return varintBytes(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
    }
    default:
      // int32/int64/uint32/uint64 and enums (names or numbers).
      return varintBytes(enumOrNumber(field, value));
  }
}

function enumOrNumber(field: Field, value: unknown): bigint {
  if (typeof value === 'string' && field.resolvedType instanceof protobuf.Enum) {
    const n = field.resolvedType.values[value];
    if (n !== undefined) return BigInt(n);
  }
  return BigInt(value as string | number);
}

function lengthDelimited(length: number): number {
  return varintBytes(length) + length;
}

/** Encoded size of `message` (a proto-loader style object) of `type`, as Go encodes it. */
export function messageBytes(type: Type, message: object): number {
  // Any message object (generated interfaces have no index signature): fields are read by their proto names.
  const fields = message as Readonly<Record<string, unknown>>;
  let size = 0;
  for (const field of type.fieldsArray) {
    const value = fields[field.name];
    if (value === undefined || value === null) continue;
    const nested = field.resolvedType && !('values' in field.resolvedType) ? (field.resolvedType as Type) : undefined;
    const one = (v: unknown) => tagBytes(field) + (nested ? lengthDelimited(messageBytes(nested, v as object)) : scalarBytes(field, v));
    if (field.repeated) {
      for (const v of value as unknown[]) size += one(v);
    } else if (nested || field.partOf) {
      // A set message, or a set oneof member even at its default, is written.
      if (!field.partOf || fields[field.partOf.name] === undefined || fields[field.partOf.name] === field.name) size += one(value);
    } else if (!isDefault(value) && !(field.resolvedType && enumOrNumber(field, value) === 0n)) {
      size += one(value);
    }
  }
  return size;
}

/** Encoded size of an etcd message given by its full name, e.g. `etcdserverpb.PutRequest`. */
export function etcdMessageBytes(typeName: string, message: object): number {
  const root = etcdProtoRoot();
  root.resolveAll();
  return messageBytes(root.lookupType(typeName), message);
}
