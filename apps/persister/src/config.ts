import { envInt, envString, readServiceBaseConfig } from '@eckd/service-kit';
import type { ServiceBaseConfig } from '@eckd/service-kit';

export interface PersisterConfig extends ServiceBaseConfig {
  databaseUrl: string;
  poolSize: number;
  /** bytes of stored rows per recovery chunk, under NATS max_payload */
  loadChunkBytes: number;
  /** how long a starting persister waits for the node lock another one holds before it exits */
  lockWaitMs: number;
}

export function readPersisterConfig(env: Record<string, string | undefined>): Readonly<PersisterConfig> {
  return Object.freeze({
    ...readServiceBaseConfig(env),
    databaseUrl: envString(env, 'DATABASE_URL'),
    poolSize: envInt(env, 'ECKD_PG_POOL_SIZE', 4, { min: 1, max: 64 }),
    loadChunkBytes: envInt(env, 'ECKD_LOAD_CHUNK_BYTES', 512 * 1024, { min: 1024 }),
    lockWaitMs: envInt(env, 'ECKD_PERSISTER_LOCK_WAIT_MS', 10_000, { min: 0 }),
  });
}
