// The etcd KV model (docs/ETCD-BEHAVIOUR.md §2.2–2.6, §6.2) as a deterministic sequential
// object: one cluster-wide revision that a request bumps by exactly one iff
// it changed something; per key value, mod/create revision and version.
// Compares of a txn see the state before it; its ops run in order on one
// write view, so a Range after a Put in the same txn sees the new value.
import { describeKvRequest, describeKvResponse, kvResponsesMatch } from './kv-format.js';
import type {
  KvCompare,
  KvKeyState,
  KvOpResult,
  KvRangeRequest,
  KvRequest,
  KvResponse,
  KvState,
  KvTxnOp,
  KvTxnRequest,
  KvView,
} from './kv-types.js';
import { LincheckError } from './model.js';
import type { Model, ModelStep } from './model.js';

export type KvModel = Model<KvState, KvRequest, KvResponse>;

/** An empty store: etcd starts at revision 1. */
export function emptyKvState(revision = 1): KvState {
  return { revision, keys: new Map() };
}

export function createKvModel(opts: { initial?: KvState } = {}): KvModel {
  const initial = opts.initial ?? emptyKvState();
  return {
    name: 'etcd-kv',
    init: () => initial,
    step: stepKv,
    matches: kvResponsesMatch,
    stateKey: kvStateKey,
    describeInput: describeKvRequest,
    describeOutput: describeKvResponse,
  };
}

export function isReadOnlyKvRequest(req: KvRequest): boolean {
  if (req.type === 'range') return true;
  if (req.type !== 'txn') return false;
  return [...req.success, ...req.failure].every((op) => op.type === 'range');
}

export function stepKv(state: KvState, req: KvRequest): ModelStep<KvState, KvResponse> {
  switch (req.type) {
    case 'range':
      return { state, output: rangeTop(state, req) };
    case 'txn':
      return stepTxn(state, req);
    default: {
      const view = new WriteView(state);
      const result = view.apply(req);
      return view.finish((revision) => ({ revision, ...result }));
    }
  }
}

export function kvStateKey(state: KvState): string {
  const keys = [...state.keys.keys()].sort();
  let s = String(state.revision);
  for (const k of keys) {
    const v = state.keys.get(k)!;
    s += `\n${JSON.stringify(k)} ${v.modRevision} ${v.createRevision} ${v.version} ${JSON.stringify(v.value)}`;
  }
  return s;
}

function rangeTop(state: KvState, req: KvRangeRequest): KvResponse {
  const rev = req.revision ?? 0;
  if (rev > state.revision) return { revision: state.revision, type: 'error', error: `future revision ${rev} (current ${state.revision})` };
  if (rev > 0 && rev < state.revision) return { revision: state.revision, type: 'range', kvs: [], unchecked: true };
  return { revision: state.revision, type: 'range', kvs: viewsOf(state.keys, req.key) };
}

function stepTxn(state: KvState, req: KvTxnRequest): ModelStep<KvState, KvResponse> {
  const succeeded = req.compare.every((c) => compareHolds(state.keys.get(c.key), c));
  const view = new WriteView(state);
  const responses = (succeeded ? req.success : req.failure).map((op) => view.apply(op));
  return view.finish((revision) => ({ revision, type: 'txn', succeeded, responses }));
}

function compareHolds(kv: KvKeyState | undefined, c: KvCompare): boolean {
  let order: number;
  if (c.target === 'value') {
    // etcd: a VALUE compare against a missing key is false for every operator
    if (kv === undefined) return false;
    const want = String(c.value);
    order = kv.value < want ? -1 : kv.value > want ? 1 : 0;
  } else {
    if (typeof c.value !== 'number') throw new LincheckError(`kv-model: ${c.target} compare needs a number`);
    const have = kv === undefined ? 0 : c.target === 'mod' ? kv.modRevision : c.target === 'create' ? kv.createRevision : kv.version;
    order = Math.sign(have - c.value);
  }
  switch (c.result) {
    case 'equal':
      return order === 0;
    case 'not_equal':
      return order !== 0;
    case 'greater':
      return order > 0;
    case 'less':
      return order < 0;
  }
}

/** The keys as a request sees them: writes land at revision + 1. */
class WriteView {
  readonly #base: KvState;
  #keys: Map<string, KvKeyState> | null = null;

  constructor(base: KvState) {
    this.#base = base;
  }

  get #next(): number {
    return this.#base.revision + 1;
  }

  apply(op: KvTxnOp): KvOpResult {
    const keys = this.#keys ?? this.#base.keys;
    const prev = keys.get(op.key);
    switch (op.type) {
      case 'range':
        if ((op.revision ?? 0) !== 0) throw new LincheckError('kv-model: a Range inside a txn reads the current revision only');
        return { type: 'range', kvs: viewsOf(keys, op.key) };
      case 'put': {
        const created = prev === undefined;
        const kv = { value: op.value, modRevision: this.#next, createRevision: created ? this.#next : prev.createRevision, version: created ? 1 : prev.version + 1 };
        this.#writable().set(op.key, kv);
        return op.prevKv && prev !== undefined ? { type: 'put', prevKv: toView(op.key, prev) } : { type: 'put' };
      }
      case 'delete':
        if (prev === undefined) return op.prevKv ? { type: 'delete', deleted: 0, prevKvs: [] } : { type: 'delete', deleted: 0 };
        this.#writable().delete(op.key);
        return op.prevKv ? { type: 'delete', deleted: 1, prevKvs: [toView(op.key, prev)] } : { type: 'delete', deleted: 1 };
    }
  }

  /** The next state (a new revision only if something changed) and the response at it. */
  finish(respond: (revision: number) => KvResponse): ModelStep<KvState, KvResponse> {
    if (this.#keys === null) return { state: this.#base, output: respond(this.#base.revision) };
    const state: KvState = { revision: this.#next, keys: this.#keys };
    return { state, output: respond(state.revision) };
  }

  #writable(): Map<string, KvKeyState> {
    this.#keys ??= new Map(this.#base.keys);
    return this.#keys;
  }
}

function viewsOf(keys: ReadonlyMap<string, KvKeyState>, key: string): KvView[] {
  const kv = keys.get(key);
  return kv === undefined ? [] : [toView(key, kv)];
}

function toView(key: string, kv: KvKeyState): KvView {
  return { key, value: kv.value, modRevision: kv.modRevision, createRevision: kv.createRevision, version: kv.version };
}
