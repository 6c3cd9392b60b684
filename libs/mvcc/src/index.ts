// Public API of @eckd/mvcc: etcd's multi-version key-value semantics, pure.
export { MvccStore } from './mvcc-store.js';
export { KvError, MvccInvariantError } from './errors.js';
export type { KvErrorName } from './errors.js';
export {
  checkDeleteRangeRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
  maxTxnOpsDefault,
} from './validate.js';
export type { RangeCheckOptions, TxnCheckOptions } from './validate.js';
export { prefixEnd, toInt, toLeaseId } from './convert.js';
export { hashKv, hashStore, crc32c, encodeKeyValue } from './hash.js';
export type { KvHash } from './hash.js';
export type {
  BytesInput,
  CompactResult,
  CompactionRequest,
  Compare,
  CompareTargetField,
  DeleteRangeRequest,
  DeleteRangeResponseBody,
  EnumInput,
  Event,
  InnerHeader,
  IntInput,
  KeyValue,
  MvccState,
  MvccStoreOptions,
  PutRequest,
  PutResponseBody,
  RangeRequest,
  RangeResponseBody,
  RangeResult,
  RequestOp,
  RequestOpField,
  ResponseOp,
  RevisionPatch,
  Tombstone,
  TxnRequest,
  TxnResponseBody,
  WriteContext,
  WriteOp,
  WriteResult,
} from './types.js';
export { LeaseStore, leaseTtlMinSeconds, leaseTtlMaxSeconds } from './lease-store.js';
export { eventFromWire, keyValueFromWire, revisionPatchFromWire } from './wire.js';
export type { WireRevisionPatch } from './wire.js';
