// Public API of @eckd/lincheck: a history recorder, a porcupine-style
// linearizability checker and the etcd KV model it checks against.
export { HistoryRecorder } from './history.js';
export type { Operation, HistoryRecorderOptions, PendingOperation } from './history.js';
export { LincheckError } from './model.js';
export type { Model, ModelStep } from './model.js';
export { checkLinearizable, checkTimeoutMsDefault } from './checker.js';
export type { CheckOptions, CheckResult, CheckOk, CheckIllegal, CheckUnknown, CheckStats, PartialLinearization } from './checker.js';
export { createKvModel, emptyKvState, isReadOnlyKvRequest, stepKv, kvStateKey } from './kv-model.js';
export type { KvModel } from './kv-model.js';
export { kvResponsesMatch, describeKvRequest, describeKvResponse } from './kv-format.js';
export type {
  KvRequest,
  KvRangeRequest,
  KvPutRequest,
  KvDeleteRequest,
  KvTxnRequest,
  KvTxnOp,
  KvCompare,
  KvCompareTarget,
  KvCompareResult,
  KvResponse,
  KvOpResult,
  KvRangeResult,
  KvPutResult,
  KvDeleteResult,
  KvTxnResult,
  KvErrorResult,
  KvView,
  KvKeyState,
  KvState,
} from './kv-types.js';
