export { migrate, migrations, inTransaction } from './migrations.js';
export type { Migration } from './migrations.js';
export { appendBatch, readChanges, readLog, readCompactRevision, durableRevision, StorageError } from './change-log.js';
export type { AppendRow } from './change-log.js';
export { createPool } from './pool.js';
