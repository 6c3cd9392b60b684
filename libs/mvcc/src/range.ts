// Range evaluation as etcd's txn/range.go does it: count ignores limit and
// the revision filters; a non-default sort or any revision filter reads the
// whole range, filters, sorts and then truncates; sort_order NONE with
// another sort_target fetches only limit+1 keys (by key) and sorts those.
import { enumName, keyBounds, sortOrders, sortTargets, toInt, emptyBytes } from './convert.js';
import type { KeyBounds, SortOrder, SortTarget } from './convert.js';
import { KvError } from './errors.js';
import { kvAt } from './key-space.js';
import type { KeySpace } from './key-space.js';
import type { KeyValue, RangeRequest, RangeResult } from './types.js';

/** Revisions a read may ask for. */
export interface ReadLimits {
  /** Current revision: higher asks are FutureRev. */
  current: number;
  /** Lowest readable revision (the compact revision, or the first known state): lower asks are Compacted. */
  oldest: number;
}

/** The revision a read is served at: Infinity for "latest" (revision <= 0). */
export function readRevision(requested: number, limits: ReadLimits): number {
  if (requested <= 0) return Infinity;
  if (requested > limits.current) throw new KvError('FutureRev');
  if (requested < limits.oldest) throw new KvError('Compacted');
  return requested;
}

interface RevisionFilters {
  minMod: number;
  maxMod: number;
  minCreate: number;
  maxCreate: number;
}

function revisionFilters(req: RangeRequest): RevisionFilters | undefined {
  const f = {
    minMod: toInt(req.min_mod_revision),
    maxMod: toInt(req.max_mod_revision),
    minCreate: toInt(req.min_create_revision),
    maxCreate: toInt(req.max_create_revision),
  };
  return f.minMod !== 0 || f.maxMod !== 0 || f.minCreate !== 0 || f.maxCreate !== 0 ? f : undefined;
}

function passes(kv: KeyValue, f: RevisionFilters): boolean {
  return (
    (f.maxMod === 0 || kv.mod_revision <= f.maxMod) &&
    (f.minMod === 0 || kv.mod_revision >= f.minMod) &&
    (f.maxCreate === 0 || kv.create_revision <= f.maxCreate) &&
    (f.minCreate === 0 || kv.create_revision >= f.minCreate)
  );
}

const sorters: Readonly<Record<SortTarget, (a: KeyValue, b: KeyValue) => number>> = {
  KEY: (a, b) => Buffer.compare(a.key, b.key),
  VERSION: (a, b) => a.version - b.version,
  CREATE: (a, b) => a.create_revision - b.create_revision,
  MOD: (a, b) => a.mod_revision - b.mod_revision,
  VALUE: (a, b) => Buffer.compare(a.value, b.value),
};

/** Sorts kvs (already in key order) the way etcd would; unknown enums leave key order. */
function sortKvs(kvs: KeyValue[], order: SortOrder | undefined, target: SortTarget | undefined): KeyValue[] {
  let effective = order;
  if (target !== 'KEY' && effective === 'NONE') effective = 'ASCEND';
  if (target === undefined || effective === undefined || effective === 'NONE') return kvs;
  if (target === 'KEY') return effective === 'ASCEND' ? kvs : kvs.reverse();
  const cmp = sorters[target];
  return kvs.sort(effective === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
}

/** Collects the live kvs of a range at a revision; stops after `fetch` kvs (0 = all). */
function collect(space: KeySpace, b: KeyBounds, revision: number, fetch: number): KeyValue[] {
  const kvs: KeyValue[] = [];
  if (b.single) {
    const kv = kvAt(space.history(b.start), revision);
    if (kv) kvs.push(kv);
    return kvs;
  }
  space.scan(b.start, b.end, (_key, h) => {
    const kv = kvAt(h, revision);
    if (kv) kvs.push(kv);
    return fetch === 0 || kvs.length < fetch;
  });
  return kvs;
}

/** Number of live keys of a range at a revision: O(log n) at the newest revision, a scan otherwise. */
function countKeys(space: KeySpace, b: KeyBounds, revision: number): number {
  if (b.single) return kvAt(space.history(b.start), revision) ? 1 : 0;
  if (revision === Infinity) return space.countLive(b.start, b.end);
  let n = 0;
  space.scan(b.start, b.end, (_key, h) => {
    if (kvAt(h, revision)) n++;
  });
  return n;
}

function withoutValue(kv: KeyValue): KeyValue {
  return { key: kv.key, create_revision: kv.create_revision, mod_revision: kv.mod_revision, version: kv.version, value: emptyBytes, lease: kv.lease };
}

/** Evaluates a RangeRequest at a resolved revision (Infinity = newest). */
export function rangeAt(space: KeySpace, req: RangeRequest, revision: number): RangeResult {
  const b = keyBounds(req.key, req.range_end);
  if (b.empty) return { kvs: [], more: false, count: 0 };
  const count = countKeys(space, b, revision);
  if (req.count_only) return { kvs: [], more: false, count };
  const limit = Math.max(0, toInt(req.limit));
  const order = enumName(req.sort_order, sortOrders);
  const target = enumName(req.sort_target, sortTargets);
  const filters = revisionFilters(req);
  // etcd fetches everything when any sort order is asked for (KEY+ASCEND gives
  // the same kvs as key order, so it stays on the fast path) or a filter is set.
  const defaultOrder = order === 'NONE' || (order === 'ASCEND' && target === 'KEY');
  const fetch = defaultOrder && !filters && limit > 0 ? limit + 1 : 0;
  let kvs = collect(space, b, revision, fetch);
  if (filters) kvs = kvs.filter((kv) => passes(kv, filters));
  kvs = sortKvs(kvs, order, target);
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs.length = limit;
    more = true;
  }
  if (req.keys_only) kvs = kvs.map(withoutValue);
  return { kvs, more, count };
}
