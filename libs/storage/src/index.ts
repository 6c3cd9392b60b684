export { migrate, migrations } from './migrations.js';
export { inTransaction, withTransaction, withConsistentRead } from './transaction.js';
export type { TransactionOptions } from './transaction.js';
export type { Migration } from './migrations.js';
export { appendBatch, appendChainMetaKey, claimFencingEpoch, fencingEpochMetaKey, readChanges, readLog, readCompactRevision, readCutAcceptorStates, readPeerSyncStates, durableRevision } from './change-log.js';
export { StorageError, FencedAppendError, ConflictingAppendError, OutOfOrderAppendError } from './storage-error.js';
export type { AppendRow, AppendOptions, CutAcceptorRow, PeerSyncStateRow } from './change-log.js';
export { createPool } from './pool.js';
export {
  readStoredChanges,
  readLogRows,
  firstLoggedRevision,
  highestLogRevisionAtOrBelow,
  countStoredChanges,
  countLogRowsBelow,
  pageRowsDefault,
} from './stored-rows.js';
export type { Queryable, StoredChange, StoredLogRow } from './stored-rows.js';
export {
  latestSnapshotInfo,
  readLatestSnapshot,
  readSnapshotPieces,
  readSnapshotKeyIndex,
  readCutRecord,
  commitSnapshot,
  tryCompactorLock,
  releaseCompactorLock,
  SnapshotConflictError,
} from './snapshots.js';
export type { SnapshotInfo, SnapshotData, NewSnapshot, SnapshotCommit, SnapshotCommitResult, StoredCutRecord, StoredRebase } from './snapshots.js';
export { storageSizes, eckdTables, readMeta, writeMeta, vacuumFull, readBackup, streamBackup, restoreBackup } from './maintenance.js';
export type { StorageSizes, Backup, BackupHead, BackupPage, BackupRowTexts } from './maintenance.js';
export { acquireNodeLock, NodeLockHeldError } from './node-lock.js';
export type { NodeLock, NodeLockOptions } from './node-lock.js';
