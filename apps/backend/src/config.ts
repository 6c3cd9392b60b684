import { ConfigError, envInt, envString, readServiceBaseConfig } from '@eckd/service-kit';
import type { ServiceBaseConfig } from '@eckd/service-kit';

export interface BackendConfig extends ServiceBaseConfig {
  clusterName: string;
  /** most proposals evaluated into one batch (one Automerge change, one Postgres transaction) */
  batchProposalsMax: number;
  /** time the persister has to acknowledge one append before it is retried */
  appendTimeoutMs: number;
  /** time to wait for each chunk of the recovery stream */
  loadChunkTimeoutMs: number;
  persistence: 'sync' | 'async';
  /** the document's history is cut once it keeps more ops than this and rebaseOpsPerKey × its live keys and leases (0: never) */
  rebaseOps: number;
  rebaseOpsPerKey: number;
}

export function readBackendConfig(env: Record<string, string | undefined>): Readonly<BackendConfig> {
  return Object.freeze({
    ...readServiceBaseConfig(env),
    clusterName: envString(env, 'ECKD_CLUSTER_NAME', 'eckd'),
    batchProposalsMax: envInt(env, 'ECKD_BATCH_PROPOSALS_MAX', 4096, { min: 1 }),
    appendTimeoutMs: envInt(env, 'ECKD_APPEND_TIMEOUT_MS', 5_000, { min: 100 }),
    loadChunkTimeoutMs: envInt(env, 'ECKD_LOAD_CHUNK_TIMEOUT_MS', 30_000, { min: 100 }),
    persistence: persistenceMode(envString(env, 'ECKD_PERSISTENCE', 'sync')),
    rebaseOps: envInt(env, 'ECKD_REBASE_OPS', 100_000, { min: 0 }),
    rebaseOpsPerKey: envInt(env, 'ECKD_REBASE_OPS_PER_KEY', 4, { min: 1 }),
  });
}

function persistenceMode(value: string): 'sync' | 'async' {
  if (value !== 'sync' && value !== 'async') throw new ConfigError(`ECKD_PERSISTENCE must be sync or async, got "${value}"`);
  return value;
}
