import { envInt, envString, readServiceBaseConfig, serviceFlags } from '@eckd/service-kit';
import type { AppFlags, ServiceBaseConfig } from '@eckd/service-kit';

/** The persister's command line: every service's flags (it has no setting etcd has besides). */
export const persisterFlags = serviceFlags;

export interface PersisterConfig extends ServiceBaseConfig {
  databaseUrl: string;
  poolSize: number;
  /** statement_timeout of the append connection, and of the others (load, sizes, snapshot, defragment) */
  appendStatementTimeoutMs: number;
  statementTimeoutMs: number;
  /** bytes of stored rows per recovery chunk, under NATS max_payload */
  loadChunkBytes: number;
  /** Snapshots spooled at once, and how long one waits for its reader's next window (backup.handler.ts) */
  backupSessionsMax: number;
  backupIdleMs: number;
  /** how long a starting persister waits for the node lock another one holds before it exits */
  lockWaitMs: number;
}

export function readPersisterConfig(flags: AppFlags): Readonly<PersisterConfig> {
  const env = flags.env;
  return Object.freeze({
    ...readServiceBaseConfig(flags),
    databaseUrl: envString(env, 'DATABASE_URL'),
    poolSize: envInt(env, 'ECKD_PG_POOL_SIZE', 4, { min: 1, max: 64 }),
    appendStatementTimeoutMs: envInt(env, 'ECKD_PG_APPEND_STATEMENT_TIMEOUT_MS', 30_000, { min: 100 }),
    // as long as the backend waits for a Defragment (VACUUM FULL)
    statementTimeoutMs: envInt(env, 'ECKD_PG_STATEMENT_TIMEOUT_MS', 10 * 60_000, { min: 100 }),
    loadChunkBytes: envInt(env, 'ECKD_LOAD_CHUNK_BYTES', 512 * 1024, { min: 1024 }),
    backupSessionsMax: envInt(env, 'ECKD_BACKUP_SESSIONS_MAX', 4, { min: 1 }),
    backupIdleMs: envInt(env, 'ECKD_BACKUP_IDLE_MS', 120_000, { min: 1_000 }),
    lockWaitMs: envInt(env, 'ECKD_PERSISTER_LOCK_WAIT_MS', 10_000, { min: 0 }),
  });
}
