// One write (Put, DeleteRange or Txn) evaluated against the key space. All
// changes carry the pending revision (current + 1) and are applied in place
// as the ops run, so a Range later in the same txn sees them; every history
// a write touches is recorded so that an error part-way through (unknown
// lease, ignore_value on a missing key, bad Range revision on the chosen
// branch) undoes the whole write: a txn has no partial effects.
import { compareToPath } from './compare.js';
import { copyBytes, keyBounds, keyString, noLease, opRequest, toInt, toLeaseId } from './convert.js';
import type { OpRequest } from './convert.js';
import { invariant, KvError } from './errors.js';
import { kvAt, UndoableChanges } from './key-space.js';
import type { HistoryEntry, KeySpace } from './key-space.js';
import { rangeAt, readRevision } from './range.js';
import type { ReadLimits } from './range.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponseBody,
  Event,
  KeyValue,
  PutRequest,
  PutResponseBody,
  RangeRequest,
  RangeResponseBody,
  ResponseOp,
  TxnRequest,
  TxnResponseBody,
  WriteContext,
} from './types.js';

export class Writer {
  readonly events: Event[] = [];
  readonly #space: KeySpace;
  readonly #limits: ReadLimits;
  readonly #ctx: WriteContext;
  readonly #changes: UndoableChanges;
  readonly pending: number;

  constructor(space: KeySpace, limits: ReadLimits, ctx: WriteContext) {
    this.#space = space;
    this.#limits = limits;
    this.#ctx = ctx;
    this.#changes = new UndoableChanges(space);
    this.pending = limits.current + 1;
  }

  /** Revision of the write view: pending once something changed (etcd's txn Rev()+1). */
  get viewRevision(): number {
    return this.events.length > 0 ? this.pending : this.#limits.current;
  }

  put(req: PutRequest, inTxn: boolean): PutResponseBody {
    const key = keyString(req.key);
    const history = this.#space.history(key);
    const prev = kvAt(history, Infinity);
    this.#checkPut(req, prev, inTxn);
    const lease = toLeaseId(req.lease);
    const kv: KeyValue = {
      key: history?.[0]?.key ?? copyBytes(req.key), // one key Buffer per key
      create_revision: prev ? prev.create_revision : this.pending,
      mod_revision: this.pending,
      version: prev ? prev.version + 1 : 1,
      value: req.ignore_value && prev ? prev.value : copyBytes(req.value),
      lease: req.ignore_lease && prev ? prev.lease : lease,
    };
    this.#append(key, kv);
    this.events.push({ type: 'PUT', kv });
    const res: PutResponseBody = inTxn ? { header: { revision: this.pending } } : {};
    if (req.prev_kv && prev) res.prev_kv = prev;
    return res;
  }

  deleteRange(req: DeleteRangeRequest, inTxn: boolean): DeleteRangeResponseBody {
    const b = keyBounds(req.key, req.range_end);
    const doomed: Array<[string, KeyValue]> = [];
    if (b.single) {
      const kv = this.#space.latest(b.start);
      if (kv) doomed.push([b.start, kv]);
    } else if (!b.empty) {
      this.#space.scan(b.start, b.end, (key, h) => {
        const kv = kvAt(h, Infinity);
        if (kv) doomed.push([key, kv]);
      });
    }
    for (const [key, kv] of doomed) {
      const tombstone = { key: kv.key, mod_revision: this.pending };
      this.#append(key, tombstone);
      this.events.push({ type: 'DELETE', kv: tombstone });
    }
    const res: DeleteRangeResponseBody = { deleted: doomed.length, prev_kvs: req.prev_kv ? doomed.map(([, kv]) => kv) : [] };
    if (inTxn) res.header = { revision: this.viewRevision };
    return res;
  }

  /** A Range inside a txn: sees the txn's earlier writes; explicit revisions are checked against the pre-txn state. */
  range(req: RangeRequest): RangeResponseBody {
    const revision = readRevision(toInt(req.revision), this.#limits);
    return { header: { revision: this.viewRevision }, ...rangeAt(this.#space, req, revision) };
  }

  txn(req: TxnRequest): TxnResponseBody {
    const path = compareToPath(this.#space, req);
    // Like etcd, check every Put of the chosen path, then every Range, on the
    // pre-txn state before any op runs (so a Put error wins over a Range error).
    forEachChosenOp(req, path, (op) => {
      if (op.kind === 'put') this.#checkPut(op.req, this.#space.latest(keyString(op.req.key)), true);
    });
    forEachChosenOp(req, path, (op) => {
      if (op.kind === 'range') readRevision(toInt(op.req.revision), this.#limits);
    });
    const cursor = { next: 0 };
    const res = this.#runTxn(req, path, cursor);
    invariant(cursor.next === path.length, 'txn path not fully consumed');
    delete res.header; // the top-level header is the caller's to fill
    return res;
  }

  /** Undoes every change of this write. */
  rollback(): void {
    this.#changes.undo();
    this.events.length = 0;
  }

  #runTxn(req: TxnRequest, path: readonly boolean[], cursor: { next: number }): TxnResponseBody {
    const succeeded = path[cursor.next++];
    invariant(succeeded !== undefined, 'txn path too short');
    const responses: ResponseOp[] = [];
    for (const op of (succeeded ? req.success : req.failure) ?? []) {
      const r = opRequest(op);
      invariant(r !== undefined, 'txn op without a request (validation skipped?)');
      switch (r.kind) {
        case 'range':
          responses.push({ response_range: this.range(r.req) });
          break;
        case 'put':
          responses.push({ response_put: this.put(r.req, true) });
          break;
        case 'delete_range':
          responses.push({ response_delete_range: this.deleteRange(r.req, true) });
          break;
        case 'txn':
          responses.push({ response_txn: this.#runTxn(r.req, path, cursor) });
          break;
      }
    }
    return { header: {}, succeeded, responses };
  }

  /** The Put RPC checks the lease first, a Txn op the key first (etcd put.go vs checkRequestPut). */
  #checkPut(req: PutRequest, prev: KeyValue | undefined, inTxn: boolean): void {
    const lease = toLeaseId(req.lease);
    const needsPrev = Boolean(req.ignore_value || req.ignore_lease);
    if (inTxn && needsPrev && !prev) throw new KvError('KeyNotFound');
    if (lease !== noLease && !this.#ctx.leaseExists(lease)) throw new KvError('LeaseNotFound');
    if (needsPrev && !prev) throw new KvError('KeyNotFound');
  }

  #append(key: string, entry: HistoryEntry): void {
    this.#changes.append(key, entry);
  }
}

/** Visits the non-txn ops of the branches a compare path chooses, depth first in op order. */
function forEachChosenOp(req: TxnRequest, path: readonly boolean[], visit: (op: OpRequest) => void): void {
  let next = 0;
  const walk = (txn: TxnRequest): void => {
    const succeeded = path[next++];
    for (const op of (succeeded ? txn.success : txn.failure) ?? []) {
      const r = opRequest(op);
      if (r?.kind === 'txn') walk(r.req);
      else if (r !== undefined) visit(r);
    }
  };
  walk(req);
}
