// The node's etcd key space as one Automerge document, written only through
// the low-level (wasm) handle: the high-level `change()` API copies the whole
// changed map per change (a few changes/s at 100k keys).
//
// The handle is reached through `getBackend(init())`, the only way the
// package's export map offers: `init()` on an empty document costs nothing,
// and the JS document it returns is dropped at once, so no proxy ever
// materializes the map. A save is read with `loadIncremental` into that empty
// handle, which Automerge turns into a full load that keeps our actor id.
import { decodeChange, getBackend, init } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseActorId, baseChangeBytes, kvMapId, kvMapKey, leasesMapId } from './base-change.js';
import { assertLatin1Key } from './latin1-key.js';
import { decodeStoredValue, encodeStoredValue, parseLease } from './stored-value.js';

type Handle = ReturnType<typeof getBackend>;

export interface EncodedChange {
  actorId: string;
  seq: number;
  bytes: Uint8Array;
}

export interface KvDocument {
  /** Hex; one writer per actor id, ever. */
  readonly actorId: string;
  /** key: Latin-1 string (one char per byte); lease: decimal int64 string, "0" = none. */
  put(key: string, value: Uint8Array, lease: string): void;
  delete(key: string): void;
  /** Sees uncommitted writes too. */
  get(key: string): { value: Uint8Array; lease: string } | undefined;
  /** One change for every put/delete since the last commit; undefined if nothing changed. */
  commit(): EncodedChange | undefined;
  /** Changes from storage or peers; throws AutomergeDocError if dependencies stay missing. */
  applyChanges(changes: Uint8Array[]): void;
  /** The whole document. */
  save(): Uint8Array;
  heads(): string[];
  /** Number of keys. */
  size(): number;
  /** Every op the document keeps, live or overwritten: what its memory follows. */
  opCount(): number;
  /** Every key, in byte order. O(keys): ~60 ms at 100k keys. */
  keys(): string[];
  /** A granted lease (decimal int64 id) and its TTL in seconds; the backend keeps expiry times itself. */
  putLease(id: string, ttlSeconds: number): void;
  deleteLease(id: string): void;
  /** Every lease, by id as stored. */
  leases(): { id: string; ttl: number }[];
  /** Releases the wasm memory of this document; it must not be used afterwards. */
  free(): void;
}

const hexActor = /^(?:[0-9a-f]{2})+$/;
// Every local change carries time 0: Automerge never uses the time for
// merging, eckd keeps wall-clock time in its own revision log, and a fixed
// time makes identical writes by one actor yield identical bytes and hashes,
// which tests and replays can compare.
const commitTimeMs = 0;

class AutomergeKvDocument implements KvDocument {
  readonly actorId: string;
  private readonly handle: Handle;
  /** Changes this actor has made; undefined until its next commit reads it (a reloaded writer). */
  private seq: number | undefined;
  private cachedSize: number | undefined;

  constructor(handle: Handle, seq: number | undefined) {
    this.handle = handle;
    this.actorId = handle.getActorId();
    this.seq = seq;
  }

  put(key: string, value: Uint8Array, lease: string): void {
    assertLatin1Key(key);
    this.handle.put(kvMapId, key, encodeStoredValue(value, lease));
    this.cachedSize = undefined;
  }

  delete(key: string): void {
    assertLatin1Key(key);
    this.handle.delete(kvMapId, key);
    this.cachedSize = undefined;
  }

  get(key: string): { value: Uint8Array; lease: string } | undefined {
    assertLatin1Key(key);
    const stored = this.handle.get(kvMapId, key);
    return stored === undefined ? undefined : decodeStoredValue(stored);
  }

  commit(): EncodedChange | undefined {
    // Puts of identical bytes and deletes of absent keys make no op at all.
    if (this.handle.pendingOps() === 0) return undefined;
    const hash = this.handle.commit(undefined, commitTimeMs);
    const bytes = this.handle.getLastLocalChange();
    if (hash === null || bytes === null) throw new AutomergeDocError('commit of pending ops made no change');
    this.seq = this.seq === undefined ? decodeChange(bytes).seq : this.seq + 1;
    return { actorId: this.actorId, seq: this.seq, bytes };
  }

  applyChanges(changes: Uint8Array[]): void {
    this.assertCommitted('applyChanges');
    this.cachedSize = undefined;
    applyAll(this.handle, changes);
  }

  save(): Uint8Array {
    this.assertCommitted('save');
    return this.handle.save();
  }

  heads(): string[] {
    this.assertCommitted('heads');
    return this.handle.getHeads();
  }

  size(): number {
    // length() walks the map (~4 ms at 100k keys), so it is kept until a write.
    this.cachedSize ??= this.handle.length(kvMapId);
    return this.cachedSize;
  }

  keys(): string[] {
    return this.handle.keys(kvMapId);
  }

  opCount(): number {
    return this.handle.stats().numOps;
  }

  free(): void {
    this.handle.free();
  }

  putLease(id: string, ttlSeconds: number): void {
    assertLeaseId(id);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
      throw new AutomergeDocError(`lease TTL must be a non-negative integer of seconds, got ${ttlSeconds}`);
    }
    this.handle.put(leasesMapId, id, ttlSeconds, 'int');
  }

  deleteLease(id: string): void {
    assertLeaseId(id);
    this.handle.delete(leasesMapId, id);
  }

  leases(): { id: string; ttl: number }[] {
    return this.handle.keys(leasesMapId).map((id) => ({ id, ttl: Number(this.handle.get(leasesMapId, id)) }));
  }

  /**
   * Automerge would quietly commit pending writes before these calls, making
   * a change that `commit()` never returned to the caller.
   */
  private assertCommitted(operation: string): void {
    if (this.handle.pendingOps() !== 0) {
      throw new AutomergeDocError(`${operation} called with uncommitted writes; commit() first`);
    }
  }
}

function assertLeaseId(id: string): void {
  if (parseLease(id) === 0n) throw new AutomergeDocError('lease id 0 means "no lease" and cannot be stored');
}

function applyAll(handle: Handle, changes: Uint8Array[]): void {
  try {
    handle.applyChanges(changes);
  } catch (err) {
    throw new AutomergeDocError(`cannot apply changes: ${(err as Error).message}`, { cause: err });
  }
  // Automerge queues changes whose dependencies it has not seen and says
  // nothing; they stay queued and apply once the dependencies arrive.
  const missing = handle.getMissingDeps();
  if (missing.length > 0) {
    throw new AutomergeDocError(`${missing.length} dependencies missing, e.g. ${missing[0]}`);
  }
}

function newHandle(actorId: string | undefined): Handle {
  if (actorId !== undefined && (!hexActor.test(actorId) || actorId === baseActorId)) {
    throw new AutomergeDocError(`actorId must be lower-case hex bytes other than the base actor, got ${actorId}`);
  }
  // Without an actor Automerge picks a random one.
  return getBackend(init(actorId === undefined ? {} : { actor: actorId }));
}

/** A new document: the deterministic base, then writes by `actorId` (random unless given). */
export function createKvDocument(opts: { actorId?: string } = {}): KvDocument {
  const handle = newHandle(opts.actorId);
  applyAll(handle, [baseChangeBytes()]);
  return new AutomergeKvDocument(handle, 0);
}

/**
 * A saved document (or the base) plus later changes. The actor id is fresh
 * and random by default; pass one only to go on writing as the same writer
 * with all of its history in `saved`/`changes`.
 */
export function loadKvDocument(opts: { saved?: Uint8Array; base?: Uint8Array; changes?: Uint8Array[]; actorId?: string }): KvDocument {
  const handle = newHandle(opts.actorId);
  if (opts.saved !== undefined) {
    loadSaved(handle, opts.saved);
  } else {
    // The original base, or a rebase change (see rebase.ts) that replaced the history before it.
    applyAll(handle, [opts.base ?? baseChangeBytes()]);
  }
  if (opts.changes !== undefined && opts.changes.length > 0) applyAll(handle, opts.changes);
  // A fresh actor has written nothing; a given one may have, so its seq is
  // read from its first new change.
  return new AutomergeKvDocument(handle, opts.actorId === undefined ? 0 : undefined);
}

function loadSaved(handle: Handle, saved: Uint8Array): void {
  try {
    handle.loadIncremental(saved);
  } catch (err) {
    throw new AutomergeDocError(`cannot load saved document: ${(err as Error).message}`, { cause: err });
  }
  // loadIncremental skips what it cannot parse instead of throwing, so a
  // corrupt or foreign save shows up as a document without the base map.
  if (handle.get('_root', kvMapKey) !== kvMapId) {
    throw new AutomergeDocError('saved document is not an eckd document (no base kv map)');
  }
  if (handle.getMissingDeps().length > 0) {
    throw new AutomergeDocError('saved document has missing dependencies');
  }
}
