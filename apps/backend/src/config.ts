import { ConfigError, envInt, envString, readServiceBaseConfig, serviceFlags } from '@eckd/service-kit';
import type { AppFlags, ServiceBaseConfig } from '@eckd/service-kit';

/** The backend's command line: every service's flags and etcd's --quota-backend-bytes (maintenance-config.ts). */
export const backendFlags = [...serviceFlags, 'quota-backend-bytes'] as const;

export interface BackendConfig extends ServiceBaseConfig {
  clusterName: string;
  /** most proposals evaluated into one batch (one Automerge change, one Postgres transaction) */
  batchProposalsMax: number;
  /** most proposal bytes in one batch (a single larger request still makes a batch of its own) */
  batchBytesMax: number;
  /** proposals and bytes waiting in the apply queue before new ones are refused (etcd's "too many requests") */
  applyQueueProposalsMax: number;
  applyQueueBytesMax: number;
  /** largest reply the backend builds (grpc's send limit, which etcd sets with grpc.MaxSendMsgSize) */
  maxResponseBytes: number;
  /** most leases of the node; a LeaseGrant beyond is refused with "too many requests" */
  leasesMax: number;
  /** time the persister has to acknowledge one append before it is retried */
  appendTimeoutMs: number;
  /** batches evaluated whose appends are not yet committed (pipelined appends; 1: one append at a time) */
  appendsInFlightMax: number;
  /** time to wait for each chunk of the recovery stream */
  loadChunkTimeoutMs: number;
  persistence: 'sync' | 'async';
  /** the document's history is cut once it keeps more ops than this and rebaseOpsPerKey × its live keys and leases (0: never) */
  rebaseOps: number;
  rebaseOpsPerKey: number;
}

export function readBackendConfig(flags: AppFlags): Readonly<BackendConfig> {
  const env = flags.env;
  return Object.freeze({
    ...readServiceBaseConfig(flags),
    clusterName: envString(env, 'ECKD_CLUSTER_NAME', 'eckd'),
    batchProposalsMax: envInt(env, 'ECKD_BATCH_PROPOSALS_MAX', 4096, { min: 1 }),
    batchBytesMax: envInt(env, 'ECKD_BATCH_BYTES_MAX', 4 * 1024 * 1024, { min: 64 * 1024 }),
    applyQueueProposalsMax: envInt(env, 'ECKD_APPLY_QUEUE_MAX', 10_000, { min: 1 }),
    applyQueueBytesMax: envInt(env, 'ECKD_APPLY_QUEUE_BYTES_MAX', 256 * 1024 * 1024, { min: 2 * 1024 * 1024 }),
    maxResponseBytes: envInt(env, 'ECKD_MAX_RESPONSE_BYTES', defaultMaxResponseBytes, { min: 1024, max: 2 ** 31 - 1 }),
    leasesMax: envInt(env, 'ECKD_LEASES_MAX', 1_000_000, { min: 1 }),
    appendTimeoutMs: envInt(env, 'ECKD_APPEND_TIMEOUT_MS', 5_000, { min: 100 }),
    appendsInFlightMax: envInt(env, 'ECKD_APPENDS_IN_FLIGHT_MAX', 1, { min: 1, max: 64 }),
    loadChunkTimeoutMs: envInt(env, 'ECKD_LOAD_CHUNK_TIMEOUT_MS', 30_000, { min: 100 }),
    persistence: persistenceMode(envString(env, 'ECKD_PERSISTENCE', 'sync')),
    rebaseOps: envInt(env, 'ECKD_REBASE_OPS', 100_000, { min: 0 }),
    rebaseOpsPerKey: envInt(env, 'ECKD_REBASE_OPS_PER_KEY', 4, { min: 1 }),
  });
}

/** etcd allows 2 GiB replies; eckd's default keeps one reply's buffers well inside a process's memory. */
const defaultMaxResponseBytes = 256 * 1024 * 1024;

function persistenceMode(value: string): 'sync' | 'async' {
  if (value !== 'sync' && value !== 'async') throw new ConfigError(`ECKD_PERSISTENCE must be sync or async, got "${value}"`);
  return value;
}
