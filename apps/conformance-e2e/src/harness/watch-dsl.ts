// Builders for watch steps. A watch step sends WatchRequests on a named
// stream of the scenario (default 'w'), then collects responses: `n` of them,
// or, with n = 0, everything until a quiet period. Its outcome is
// `{ responses: [...normalised WatchResponses], missing?: k }`, so
// expectations are lists of response subsets.
import type { Expect, ReqObject, ReqValue, Step } from './scenario.js';

/** WatchRequest{create_request}; `req` holds the other WatchCreateRequest fields. */
export const create = (key: string, req: ReqObject = {}): ReqObject => ({ create_request: { key, ...req } });
/** WatchRequest{cancel_request} */
export const cancel = (watchId: number): ReqObject => ({ cancel_request: { watch_id: watchId } });
/** WatchRequest{progress_request} */
export const progress = (): ReqObject => ({ progress_request: {} });

/** Subset of a normalised PUT event. */
export const putEvent = (key: string, value?: string, kv: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  type: 'PUT',
  kv: { key, ...(value === undefined ? {} : { value }), ...kv },
  ...more,
});
/** Subset of a normalised DELETE event. */
export const deleteEvent = (key: string, more: Record<string, unknown> = {}) => ({ type: 'DELETE', kv: { key }, ...more });

/** Subset of a created response. */
export const created = (watchId: string, more: Record<string, unknown> = {}) => ({ created: true, canceled: false, watch_id: watchId, ...more });
/** Subset of an events response. */
export const events = (watchId: string, evs: Record<string, unknown>[], more: Record<string, unknown> = {}) => ({
  watch_id: watchId,
  created: false,
  canceled: false,
  events: evs,
  ...more,
});

export interface WatchDifference {
  ref: string;
  etcd: Record<string, unknown>[];
  eckd: Record<string, unknown>[];
}

export interface WatchStepOptions {
  /** stream name; streams open on first use and close when the scenario ends */
  stream?: string;
  /** wait this long for the n responses (default 2 s); with n = 0, the longest the collection lasts (default 4 × quietMs) */
  timeoutMs?: number;
  /** with n = 0: the silence that ends the collection (default 250 ms) */
  quietMs?: number;
  /** the responses are compared as a set (sorted), for responses of different watches */
  unordered?: boolean;
  /** progress notifications are dropped before counting: for event steps where a notification may come first on a slow machine, on either server */
  skipProgress?: boolean;
  /** response subsets etcd must give (a guard on the scenario); eckd must answer exactly like etcd */
  expect?: Record<string, unknown>[];
  /** a known difference: each server must give its own responses */
  differs?: WatchDifference;
}

const asExpect = (responses: Record<string, unknown>[]): Expect => ({ ok: { responses } });

/** Sends `send` on the stream, then collects `n` responses (0: until quiet). */
export function watch(send: ReqObject | ReqObject[], n: number, opts: WatchStepOptions = {}): Step {
  const req: ReqObject = { stream: opts.stream ?? 'w', send: (Array.isArray(send) ? send : [send]) as ReqValue[], responses: n };
  if (opts.timeoutMs !== undefined) req['timeout_ms'] = opts.timeoutMs;
  if (opts.quietMs !== undefined) req['quiet_ms'] = opts.quietMs;
  if (opts.unordered) req['unordered'] = true;
  if (opts.skipProgress) req['skip_progress'] = true;
  const step: Step = { call: 'watch', req };
  if (opts.expect) step.expect = asExpect(opts.expect);
  if (opts.differs) step.differs = { ref: opts.differs.ref, etcd: asExpect(opts.differs.etcd), eckd: asExpect(opts.differs.eckd) };
  return step;
}

/** Collects `n` responses without sending anything. */
export const collect = (n: number, opts: WatchStepOptions = {}): Step => watch([], n, opts);
/** Collects whatever arrives until a quiet period (expect [] to say "nothing"). */
export const quiet = (opts: WatchStepOptions = {}): Step => watch([], 0, opts);
