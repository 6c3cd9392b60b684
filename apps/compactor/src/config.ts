import { envInt, envString, readServiceBaseConfig, serviceFlags } from '@eckd/service-kit';
import type { AppFlags, ServiceBaseConfig } from '@eckd/service-kit';

/** The compactor's command line: every service's flags (it has no setting etcd has besides). */
export const compactorFlags = serviceFlags;

export interface CompactorConfig extends ServiceBaseConfig {
  databaseUrl: string;
  /** how often the stored-change threshold is checked */
  intervalMs: number;
  /** a periodic run starts once this many stored rows (changes, plus log rows a snapshot would cover) can go */
  minChanges: number;
  /** how long a requested run waits for another compactor's run to end */
  lockWaitMs: number;
  /** test hook (like etcd's failpoints): sleep between building a snapshot and committing it */
  pauseBeforeCommitMs: number;
}

export function readCompactorConfig(flags: AppFlags): Readonly<CompactorConfig> {
  const env = flags.env;
  return Object.freeze({
    ...readServiceBaseConfig(flags),
    databaseUrl: envString(env, 'DATABASE_URL'),
    intervalMs: envInt(env, 'ECKD_COMPACT_INTERVAL_MS', 60_000, { min: 50 }),
    minChanges: envInt(env, 'ECKD_COMPACT_MIN_CHANGES', 10_000, { min: 1 }),
    lockWaitMs: envInt(env, 'ECKD_COMPACT_LOCK_WAIT_MS', 120_000, { min: 0 }),
    pauseBeforeCommitMs: envInt(env, 'ECKD_COMPACT_PAUSE_BEFORE_COMMIT_MS', 0, { min: 0 }),
  });
}
