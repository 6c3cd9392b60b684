// Structural types for what the store consumes and produces. Inputs follow the
// shape @grpc/proto-loader gives with { keepCase, longs: String, enums: String,
// defaults, oneofs }, but every field is optional and loosely typed so that
// JSON-gateway objects and hand-written test requests work too. Outputs are
// plain objects protobufjs `fromObject` accepts.

/** Bytes as received: a Buffer or any Uint8Array view (never retained as is). */
export type BytesInput = Uint8Array;
/** An int64 as received: decimal string, number, bigint or a Long-like object. */
export type IntInput = number | string | bigint | { toString(): string };
/** An enum as received: its name (proto-loader enums: String) or its number. */
export type EnumInput = string | number;

export interface RangeRequest {
  key?: BytesInput | null;
  range_end?: BytesInput | null;
  limit?: IntInput | null;
  revision?: IntInput | null;
  sort_order?: EnumInput | null;
  sort_target?: EnumInput | null;
  serializable?: boolean | null;
  keys_only?: boolean | null;
  count_only?: boolean | null;
  min_mod_revision?: IntInput | null;
  max_mod_revision?: IntInput | null;
  min_create_revision?: IntInput | null;
  max_create_revision?: IntInput | null;
}

export interface PutRequest {
  key?: BytesInput | null;
  value?: BytesInput | null;
  lease?: IntInput | null;
  prev_kv?: boolean | null;
  ignore_value?: boolean | null;
  ignore_lease?: boolean | null;
}

export interface DeleteRangeRequest {
  key?: BytesInput | null;
  range_end?: BytesInput | null;
  prev_kv?: boolean | null;
}

export type CompareTargetField = 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';

export interface Compare {
  result?: EnumInput | null;
  target?: EnumInput | null;
  key?: BytesInput | null;
  range_end?: BytesInput | null;
  /** oneof discriminator: which of the fields below is set. */
  target_union?: CompareTargetField | null;
  version?: IntInput | null;
  create_revision?: IntInput | null;
  mod_revision?: IntInput | null;
  value?: BytesInput | null;
  lease?: IntInput | null;
}

export type RequestOpField = 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';

export interface RequestOp {
  /** oneof discriminator. */
  request?: RequestOpField | null;
  request_range?: RangeRequest | null;
  request_put?: PutRequest | null;
  request_delete_range?: DeleteRangeRequest | null;
  request_txn?: TxnRequest | null;
}

export interface TxnRequest {
  compare?: Compare[] | null;
  success?: RequestOp[] | null;
  failure?: RequestOp[] | null;
}

export interface CompactionRequest {
  revision?: IntInput | null;
  physical?: boolean | null;
}

/**
 * A live key-value pair (mvccpb.KeyValue). Objects returned by the store are
 * shared with its history: treat them as read-only. `lease` is a decimal
 * string because lease ids use all 63 bits.
 */
export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: string;
}

/** The kv of a DELETE event: etcd sends only the key and the delete revision. */
export interface Tombstone {
  key: Buffer;
  mod_revision: number;
}

export type Event = { type: 'PUT'; kv: KeyValue } | { type: 'DELETE'; kv: Tombstone };

/** All events of one revision, in the order they happened. */
export interface RevisionPatch {
  revision: number;
  events: Event[];
}

/** Only inner op responses of a Txn carry a header: `{ revision }`, or `{}` for a nested txn. */
export interface InnerHeader {
  revision?: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface RangeResponseBody extends RangeResult {
  header?: InnerHeader;
}

export interface PutResponseBody {
  header?: InnerHeader;
  prev_kv?: KeyValue;
}

export interface DeleteRangeResponseBody {
  header?: InnerHeader;
  deleted: number;
  prev_kvs: KeyValue[];
}

export type ResponseOp =
  | { response_range: RangeResponseBody }
  | { response_put: PutResponseBody }
  | { response_delete_range: DeleteRangeResponseBody }
  | { response_txn: TxnResponseBody };

export interface TxnResponseBody {
  header?: InnerHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export type WriteOp = { put: PutRequest } | { delete_range: DeleteRangeRequest } | { txn: TxnRequest };

export interface WriteContext {
  /** Whether a lease id (decimal string, never '0') is currently granted. */
  leaseExists(id: string): boolean;
  /** Txn op limit enforced again on the backend; unset = not re-checked (the frontend did). */
  maxTxnOps?: number;
}

export interface WriteResult {
  /** Store revision after the op: the new revision, or the unchanged one if nothing changed. */
  revision: number;
  changed: boolean;
  events: Event[];
  response: PutResponseBody | DeleteRangeResponseBody | TxnResponseBody;
}

export interface CompactResult {
  /** Current store revision (unchanged by compaction). */
  revision: number;
  compactRevision: number;
}

/**
 * A transferable snapshot. `base` holds the live kvs as of `baseRevision`
 * (the compact revision once compacted); `patches` hold every revision after
 * it, in order, and may start with the patch of `baseRevision` itself so a
 * watch starting at the compact revision can still be replayed.
 */
export interface MvccState {
  revision: number;
  compactRevision: number;
  baseRevision?: number;
  base: KeyValue[];
  patches: RevisionPatch[];
}

export interface MvccStoreOptions {
  /** Revision of the (empty) initial state; default 1. History before it is unknown. */
  revision?: number;
  /** Default -1: never compacted. */
  compactRevision?: number;
}
