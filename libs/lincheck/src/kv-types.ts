// Requests and responses of the etcd KV model, reduced to what a
// linearizability check compares (docs/ETCD-BEHAVIOUR.md §6.2): single keys, string keys
// and values (compared as JS strings, i.e. bytewise for ASCII), revisions as
// numbers. Recorders convert real etcd responses into these shapes.

export interface KvRangeRequest {
  readonly type: 'range';
  readonly key: string;
  /** 0/absent = current; older revisions cannot be checked and match on the header revision only */
  readonly revision?: number;
}

export interface KvPutRequest {
  readonly type: 'put';
  readonly key: string;
  readonly value: string;
  readonly prevKv?: boolean;
}

export interface KvDeleteRequest {
  readonly type: 'delete';
  readonly key: string;
  readonly prevKv?: boolean;
}

export type KvCompareTarget = 'mod' | 'version' | 'create' | 'value';
export type KvCompareResult = 'equal' | 'not_equal' | 'greater' | 'less';

export interface KvCompare {
  readonly key: string;
  readonly target: KvCompareTarget;
  readonly result: KvCompareResult;
  /** a revision or version for mod/version/create, a string for value */
  readonly value: number | string;
}

/** Ops inside a txn; a nested Range reads the current revision only. */
export type KvTxnOp = KvRangeRequest | KvPutRequest | KvDeleteRequest;

export interface KvTxnRequest {
  readonly type: 'txn';
  readonly compare: readonly KvCompare[];
  readonly success: readonly KvTxnOp[];
  readonly failure: readonly KvTxnOp[];
}

export type KvRequest = KvRangeRequest | KvPutRequest | KvDeleteRequest | KvTxnRequest;

export interface KvView {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
}

export interface KvRangeResult {
  readonly type: 'range';
  readonly kvs: readonly KvView[];
  /** set by the model for reads of an older revision: kvs are not compared */
  readonly unchecked?: boolean;
}

export interface KvPutResult {
  readonly type: 'put';
  readonly prevKv?: KvView;
}

export interface KvDeleteResult {
  readonly type: 'delete';
  readonly deleted: number;
  readonly prevKvs?: readonly KvView[];
}

export type KvOpResult = KvRangeResult | KvPutResult | KvDeleteResult;

export interface KvTxnResult {
  readonly type: 'txn';
  readonly succeeded: boolean;
  readonly responses: readonly KvOpResult[];
}

/** Only predicted by the model (e.g. a read of a future revision); never matches a recorded success. */
export interface KvErrorResult {
  readonly type: 'error';
  readonly error: string;
}

/** A response: the header revision plus the result. */
export type KvResponse = { readonly revision: number } & (KvOpResult | KvTxnResult | KvErrorResult);

export interface KvKeyState {
  readonly value: string;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
}

export interface KvState {
  readonly revision: number;
  readonly keys: ReadonlyMap<string, KvKeyState>;
}
