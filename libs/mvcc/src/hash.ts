// etcd's HashKV, computed from the store's history: crc32-Castagnoli over
// the bucket name "key", then, in revision order, every stored
// (revision key, marshaled KeyValue) pair up to the hash revision, the way
// etcd walks its bbolt "key" bucket (mvcc/hash.go). Revisions above the
// compact revision are all stored; at or below it etcd keeps only each
// live key's latest version, and the hash counts one of those only if the
// key still has that version at the hash revision (kvindex.Keep).
//
// The result equals etcd's for the same history, with one exception: a
// kept version below the compact revision whose revision's event list was
// compacted away has no known sub-revision; such versions are ordered by key
// and numbered from 0 within their revision (exact whenever that revision
// wrote one key). Every replica holds the same history, so the hash is
// equal on every frontend of a node and across restarts.
import { KvError } from './errors.js';
import type { MvccStore } from './mvcc-store.js';
import type { Event, KeyValue } from './types.js';

export interface KvHash {
  hash: number;
  /** the revision hashed (the current one when 0 was asked) */
  revision: number;
  compactRevision: number;
}

/** One stored revision of the "key" bucket. */
interface StoredRevision {
  main: number;
  sub: number;
  tombstone: boolean;
  kv: KeyValue | { key: Buffer };
}

const bucketName = Buffer.from('key');

/** HashKV(revision); 0 means the current revision. Throws KvError Compacted / FutureRev as etcd does. */
export function hashKv(store: MvccStore, revision = 0): KvHash {
  const compactRevision = store.compactRevision;
  if (revision > 0 && revision < compactRevision) throw new KvError('Compacted');
  if (revision > store.revision) throw new KvError('FutureRev');
  const at = revision > 0 ? revision : store.revision;
  const kept = keptAtCompaction(store);
  // etcd filters the kept versions with kvindex.Keep(at); an empty keep set filters nothing.
  const live = store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision: at, count_only: true }).count;
  const visible = kept.filter((r) => live === 0 || store.kvAt(r.kv.key, at)?.mod_revision === r.main);
  return { hash: hashRevisions([...visible, ...revisionsAfter(store, compactRevision, at)]), revision: at, compactRevision };
}

/** etcd's Hash (whole "key" bucket) analogue: every stored revision, unfiltered. */
export function hashStore(store: MvccStore): number {
  return hashRevisions([...keptAtCompaction(store), ...revisionsAfter(store, store.compactRevision, store.revision)]);
}

function hashRevisions(revisions: readonly StoredRevision[]): number {
  let crc = crc32c(bucketName);
  for (const r of revisions) {
    crc = crc32c(revisionKey(r), crc);
    crc = crc32c(r.tombstone ? encodeKeyValue({ key: r.kv.key }) : encodeKeyValue(r.kv), crc);
  }
  return crc;
}

/** Every event of the revisions above the compact revision, up to `at`, with its sub-revision. */
function revisionsAfter(store: MvccStore, compactRevision: number, at: number): StoredRevision[] {
  const out: StoredRevision[] = [];
  for (const patch of store.eventsBetween(Math.max(compactRevision + 1, 1), at)) {
    if (patch.revision <= compactRevision) continue;
    patch.events.forEach((e, sub) => out.push(fromEvent(patch.revision, sub, e)));
  }
  return out;
}

/** The live versions at the compact revision (what etcd's compaction keeps), in (main, sub) order. */
function keptAtCompaction(store: MvccStore): StoredRevision[] {
  const compactRevision = store.compactRevision;
  if (compactRevision < 1) return [];
  const { kvs } = store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision: compactRevision });
  const subs = knownSubs(store, compactRevision);
  const byMain = new Map<number, KeyValue[]>();
  for (const kv of kvs) {
    const list = byMain.get(kv.mod_revision) ?? [];
    list.push(kv);
    byMain.set(kv.mod_revision, list);
  }
  const out: StoredRevision[] = [];
  for (const main of [...byMain.keys()].sort((a, b) => a - b)) {
    // kvs come in key order: the fallback numbering for unknown sub-revisions.
    const list = byMain.get(main)!.map((kv, i) => ({ main, sub: subs.get(`${main}:${kv.key.toString('latin1')}`) ?? i, tombstone: false, kv }));
    out.push(...list.sort((a, b) => a.sub - b.sub));
  }
  return out;
}

/** Sub-revisions of the compact revision's own events, which the store keeps for watches. */
function knownSubs(store: MvccStore, compactRevision: number): Map<string, number> {
  const subs = new Map<string, number>();
  let patches;
  try {
    patches = store.eventsBetween(compactRevision, compactRevision);
  } catch (err) {
    if (err instanceof KvError) return subs;
    throw err;
  }
  for (const p of patches) p.events.forEach((e, sub) => subs.set(`${p.revision}:${e.kv.key.toString('latin1')}`, sub));
  return subs;
}

function fromEvent(main: number, sub: number, e: Event): StoredRevision {
  return e.type === 'PUT' ? { main, sub, tombstone: false, kv: e.kv } : { main, sub, tombstone: true, kv: { key: e.kv.key } };
}

/** etcd's revision key: 8-byte big-endian main, '_', 8-byte big-endian sub, and 't' for a tombstone. */
function revisionKey(r: StoredRevision): Buffer {
  const b = Buffer.alloc(r.tombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(r.main), 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(BigInt(r.sub), 9);
  if (r.tombstone) b[17] = 0x74;
  return b;
}

/** mvccpb.KeyValue in Go's (gogoproto) encoding: fields in number order, zero values left out. */
export function encodeKeyValue(kv: Partial<KeyValue> & { key: Uint8Array }): Buffer {
  const parts: number[] = [];
  const varint = (v: bigint) => {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    parts.push(Number(x));
  };
  const bytes = (field: number, b: Uint8Array | undefined) => {
    if (!b || b.length === 0) return;
    parts.push((field << 3) | 2);
    varint(BigInt(b.length));
    for (const byte of b) parts.push(byte);
  };
  const int = (field: number, v: number | string | undefined) => {
    const n = BigInt(v ?? 0);
    if (n === 0n) return;
    parts.push(field << 3);
    varint(n);
  };
  bytes(1, kv.key);
  int(2, kv.create_revision);
  int(3, kv.mod_revision);
  int(4, kv.version);
  bytes(5, kv.value);
  int(6, kv.lease);
  return Buffer.from(parts);
}

const castagnoliTable = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), continuing from `crc` (Go's crc32.Update semantics). */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of data) c = castagnoliTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
