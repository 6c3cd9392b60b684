// The one boundary between etcd's protobuf messages (as the wire decodes
// them: etcd-proto's generated types, int64 as strings, enums as names) and
// this library's domain types. It lives here because mvcc (type:domain) may
// import the protocol libs but change-codec (type:protocol) may not import
// mvcc. The other direction needs no function: a domain KeyValue or Event
// already is a valid encoder input for the generated types.
import type { Event as WireEvent, KeyValue as WireKeyValue } from '@eckd/etcd-proto';
import { toInt, toLeaseId } from './convert.js';
import { invariant } from './errors.js';
import type { Event, KeyValue, RevisionPatch } from './types.js';

/** A revision's events as a wire message carries them (change-codec's RevisionPatch). */
export interface WireRevisionPatch {
  revision: string | number;
  events: readonly WireEvent[];
}

const noBytes = Buffer.alloc(0);

/** Bytes without a copy: MvccStore copies what it keeps, so a view into the decoded message is enough here. */
function bytesOf(b: WireKeyValue['key']): Buffer {
  if (b === undefined) return noBytes;
  if (typeof b === 'string') return Buffer.from(b, 'base64'); // proto3 JSON form; never from the binary decoder
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function keyValueFromWire(kv: WireKeyValue): KeyValue {
  return {
    key: bytesOf(kv.key),
    create_revision: toInt(kv.create_revision),
    mod_revision: toInt(kv.mod_revision),
    version: toInt(kv.version),
    value: bytesOf(kv.value),
    lease: toLeaseId(kv.lease),
  };
}

export function eventFromWire(event: WireEvent): Event {
  const kv = event.kv ?? {};
  if (event.type === 'DELETE' || event.type === 1) return { type: 'DELETE', kv: { key: bytesOf(kv.key), mod_revision: toInt(kv.mod_revision) } };
  // PUT is the enum's zero value: absent on the wire means PUT.
  invariant(event.type === 'PUT' || event.type === 0 || event.type === undefined, `unknown event type ${String(event.type)}`);
  return { type: 'PUT', kv: keyValueFromWire(kv) };
}

export function revisionPatchFromWire(patch: WireRevisionPatch): RevisionPatch {
  return { revision: toInt(patch.revision), events: patch.events.map(eventFromWire) };
}
