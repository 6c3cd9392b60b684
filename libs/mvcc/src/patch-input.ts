// Reading patches and snapshot kvs that arrive from another process: field
// types are normalised (int64 strings, enum numbers), bytes are copied so no
// decoded message buffer is retained, and each event is checked against the
// replica's state so a diverged replica fails loudly instead of serving
// wrong data.
import { copyBytes, keyString, toInt, toLeaseId } from './convert.js';
import { invariant } from './errors.js';
import type { KeySpace } from './key-space.js';
import type { Event, IntInput, KeyValue } from './types.js';

type Loose<T> = { [K in keyof T]?: unknown };

function int(x: unknown): number {
  return toInt(x as IntInput | undefined);
}

export function normalizeKv(kv: Loose<KeyValue>): KeyValue {
  return {
    key: copyBytes(kv.key as Uint8Array | undefined),
    create_revision: int(kv.create_revision),
    mod_revision: int(kv.mod_revision),
    version: int(kv.version),
    value: copyBytes(kv.value as Uint8Array | undefined),
    lease: toLeaseId(kv.lease as IntInput | undefined),
  };
}

export function normalizeEvent(e: { type?: unknown; kv?: unknown }): Event {
  const kv = (e.kv ?? {}) as Loose<KeyValue>;
  if (e.type === 'DELETE' || e.type === 1) {
    return { type: 'DELETE', kv: { key: copyBytes(kv.key as Uint8Array | undefined), mod_revision: int(kv.mod_revision) } };
  }
  invariant(e.type === 'PUT' || e.type === 0 || e.type === undefined, `unknown event type ${String(e.type)}`);
  return { type: 'PUT', kv: normalizeKv(kv) };
}

/** Asserts that an event of `revision` follows from the key's current state (as the backend produced it). */
export function checkEvent(space: KeySpace, revision: number, event: Event): string {
  const key = keyString(event.kv.key);
  invariant(key.length > 0, 'event with an empty key');
  invariant(event.kv.mod_revision === revision, `event mod_revision ${event.kv.mod_revision} in patch of revision ${revision}`);
  const prev = space.latest(key);
  if (event.type === 'DELETE') {
    invariant(prev !== undefined, `DELETE of a key that is not live: ${JSON.stringify(key)}`);
    return key;
  }
  const kv = event.kv;
  const expectedCreate = prev ? prev.create_revision : revision;
  const expectedVersion = prev ? prev.version + 1 : 1;
  invariant(
    kv.create_revision === expectedCreate && kv.version === expectedVersion,
    `PUT of ${JSON.stringify(key)} has create_revision ${kv.create_revision} version ${kv.version}, replica expects ${expectedCreate}/${expectedVersion}`,
  );
  return key;
}
