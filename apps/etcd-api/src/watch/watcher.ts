// One watch: its key range, filters and where it stands in the revision
// sequence. A watcher is *synced* when it receives live events as revisions
// are applied, *unsynced* while it catches up from the replica's history.
import type { Event } from '@eckd/mvcc';

/**
 * A watch id (int64, chosen by the client or allocated from 0): a number
 * while it is exact, a bigint beyond 2^53, so every id round-trips and has
 * one form as a map key.
 */
export type WatchId = number | bigint;

/** The request's watch_id (proto-loader gives int64 as a decimal string) as a WatchId. */
export function toWatchId(value: string | number | undefined): WatchId {
  if (value === undefined) return 0;
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  return BigInt.asIntN(64, BigInt(typeof value === 'number' ? Math.trunc(value) : value));
}

export interface Watcher {
  readonly id: WatchId;
  /** Latin-1 key range: [key, end); end undefined = only key; end '' = no upper bound */
  readonly key: string;
  readonly end: string | undefined;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
  readonly progressNotify: boolean;
  readonly fragment: boolean;
  /** next revision this watcher has to see */
  next: number;
  synced: boolean;
  /** sent an event since the last progress tick */
  active: boolean;
}

export interface WatchCreate {
  key?: Buffer;
  range_end?: Buffer;
  start_revision?: string | number;
  progress_notify?: boolean;
  filters?: string[];
  prev_kv?: boolean;
  watch_id?: string | number;
  fragment?: boolean;
}

/** etcd's key rules for watches: an empty key means "\0"; range_end "\0" means no upper bound. */
export function watchRange(req: WatchCreate): { key: string; end: string | undefined } {
  const key = req.key && req.key.length > 0 ? req.key.toString('latin1') : '\0';
  const rawEnd = req.range_end ?? Buffer.alloc(0);
  if (rawEnd.length === 0) return { key, end: undefined };
  if (rawEnd.length === 1 && rawEnd[0] === 0) return { key, end: '' };
  return { key, end: rawEnd.toString('latin1') };
}

/** A non-empty range_end at or below the key leaves nothing to watch (etcd refuses it). */
export function isEmptyRange(r: { key: string; end: string | undefined }): boolean {
  return r.end !== undefined && r.end !== '' && r.key >= r.end;
}

export function matches(w: Watcher, event: Event, key: string): boolean {
  if (event.type === 'PUT' ? w.noPut : w.noDelete) return false;
  if (w.end === undefined) return key === w.key;
  return key >= w.key && (w.end === '' || key < w.end);
}

export function filterNames(filters: readonly (string | number)[] | undefined): { noPut: boolean; noDelete: boolean } {
  const names = new Set((filters ?? []).map((f) => (f === 0 ? 'NOPUT' : f === 1 ? 'NODELETE' : String(f))));
  return { noPut: names.has('NOPUT'), noDelete: names.has('NODELETE') };
}
