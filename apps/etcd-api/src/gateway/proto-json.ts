// Protobuf JSON as etcd's grpc-gateway speaks it (JSONPb with the proto
// field names): requests accept proto or lowerCamelCase names, int64 as a
// string or a number, bytes as base64, enums as names or numbers, and
// ignore unknown fields; responses carry the proto names, 64-bit integers
// as strings, bytes as base64, enums as names, and leave default values
// out (a oneof member and a present message are always written). Driven by
// the .proto reflection, so every etcd message is covered the same way.
import protobuf from 'protobufjs';

/** A request body that is not the message it should be; answered as InvalidArgument. */
export class GatewayInputError extends Error {
  override name = 'GatewayInputError';
}

const int64Types = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const int32Types = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

/** Encodes a JSON request (already parsed) as the message's bytes. */
export function encodeJsonRequest(type: protobuf.Type, json: unknown): Uint8Array {
  const object = requestObject(type, json, type.name);
  return type.encode(type.fromObject(object)).finish();
}

/** Decodes a message's bytes into etcd's gateway JSON. */
export function decodeToJson(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  return messageJson(type, type.decode(bytes));
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function requestObject(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (json === null) return {};
  if (typeof json !== 'object' || Array.isArray(json)) throw new GatewayInputError(`${where}: expected a JSON object`);
  const given = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = given[field.name] ?? given[camelCase(field.name)];
    if (value === undefined || value === null) continue;
    const path = `${where}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(value)) throw new GatewayInputError(`${path}: expected an array`);
      out[field.name] = value.map((item) => requestValue(field, item, path));
    } else {
      out[field.name] = requestValue(field, value, path);
    }
  }
  return out;
}

function requestValue(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return requestObject(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (Number.isInteger(value)) return value;
    throw new GatewayInputError(`${path}: unknown value ${JSON.stringify(value)} for enum ${resolved.name}`);
  }
  if (int64Types.has(field.type)) {
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    if (typeof value === 'number' && Number.isInteger(value)) return String(value);
    throw new GatewayInputError(`${path}: expected an integer (a number or a decimal string), got ${JSON.stringify(value)}`);
  }
  if (int32Types.has(field.type) || field.type === 'double' || field.type === 'float') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n)) return n;
    throw new GatewayInputError(`${path}: expected a number, got ${JSON.stringify(value)}`);
  }
  switch (field.type) {
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new GatewayInputError(`${path}: expected base64 bytes, got ${JSON.stringify(value)}`);
      return Buffer.from(value, 'base64');
    case 'bool':
      if (typeof value !== 'boolean') throw new GatewayInputError(`${path}: expected true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string') throw new GatewayInputError(`${path}: expected a string, got ${JSON.stringify(value)}`);
      return value;
    default:
      throw new GatewayInputError(`${path}: unsupported field type ${field.type}`);
  }
}

function messageJson(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): Record<string, unknown> {
  const fields = message as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    // Decoded messages hold the fields present on the wire as own properties; defaults live on the prototype.
    if (!Object.prototype.hasOwnProperty.call(fields, field.name)) continue;
    const value = fields[field.name];
    if (value === undefined || value === null) continue;
    if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) out[field.name] = items.map((item) => valueJson(field, item));
      continue;
    }
    const json = valueJson(field, value);
    const inOneof = field.partOf !== null && field.partOf !== undefined;
    if (!inOneof && isDefault(field, json)) continue;
    out[field.name] = json;
  }
  return out;
}

function valueJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return messageJson(resolved, value as protobuf.Message);
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? value;
  if (int64Types.has(field.type)) return String(value); // a Long or a number
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  return value;
}

function isDefault(field: protobuf.Field, json: unknown): boolean {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return false;
  if (resolved instanceof protobuf.Enum) return json === resolved.valuesById[0];
  return json === '' || json === '0' || json === 0 || json === false;
}
