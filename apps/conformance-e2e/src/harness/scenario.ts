// What a scenario is: plain data (a name, the docs/ETCD-BEHAVIOUR.md section it checks,
// and steps), read by the interpreter. Requests are written the way a
// client would write them, with two markers the interpreter resolves per
// server: `{ $rev: n }` (the scenario's base revision + n) and
// `{ $bytes: n }` (a value of n bytes).
import type { RpcErrorName } from '@eckd/etcd-proto';
import type { RpcFailure } from './rpc.js';

/** base revision + n; the base is the revision read when the scenario starts */
export interface RevMarker {
  $rev: number;
}

/** n bytes of `fill` (default 'x') */
export interface BytesMarker {
  $bytes: number;
  fill?: string;
}

export type ReqValue = string | number | boolean | RevMarker | BytesMarker | ReqValue[] | ReqObject;
export interface ReqObject {
  [field: string]: ReqValue;
}

/**
 * A unary KV call, or 'watch': a step on one of the scenario's Watch streams
 * (its `req` is a WatchStepRequest, see watch-stream.ts and watch-dsl.ts).
 */
export type Call =
  | 'range'
  | 'put'
  | 'deleteRange'
  | 'txn'
  | 'compact'
  | 'watch'
  | 'leaseGrant'
  | 'leaseRevoke'
  | 'leaseTimeToLive'
  | 'leaseLeases'
  | 'sleep';

/**
 * An expectation on one server's normalised outcome: an error (by etcd's
 * name or as code + details), or success with a response containing `ok`
 * (a recursive subset; arrays must match element by element).
 */
export type Expect = { error: RpcErrorName | RpcFailure } | { ok: Record<string, unknown> };

/** kv field whose equal values make a sort order undefined (Go's sort is not stable) */
export type TieField = 'version' | 'create_revision' | 'mod_revision' | 'value';

/** A documented difference: etcd 3.4 (what runs here) answers one way, eckd (3.6) the other. */
export interface KnownDifference {
  /** docs/ETCD-BEHAVIOUR.md section */
  ref: string;
  etcd: Expect;
  eckd: Expect;
}

export interface Step {
  call: Call;
  req: ReqObject;
  /** Must hold on etcd (it guards the scenario itself); eckd must then answer the same. */
  expect?: Expect;
  /** Runs of kvs with equal `ties` values are compared as sets (ordered by key). */
  ties?: TieField;
  /** This step is a known difference: each side is checked against its own answer. */
  differs?: KnownDifference;
  /** Top-level response fields left out of the comparison (clock-dependent, e.g. a remaining TTL). */
  ignore?: string[];
}

export interface Scenario {
  name: string;
  /** docs/ETCD-BEHAVIOUR.md section(s) it checks */
  ref: string;
  steps: Step[];
  /** Marks a scenario that waits for an eckd feature (node:test `todo`: runs, cannot fail the run). */
  todo?: string;
  /**
   * An open eckd bug this scenario exposes, reported to the lead (also run
   * as a node:test `todo`, so it shows in every run without failing it).
   * Remove it once eckd is fixed; it is NOT a known difference.
   */
  mismatch?: string;
}

export interface ScenarioGroup {
  /** Area, as counted in docs/CONFORMANCE.md */
  area: string;
  scenarios: Scenario[];
}
