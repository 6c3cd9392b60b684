// Settings of the backend's maintenance service. The space quota is the
// node's (writes are evaluated here), so it is the backend's setting:
// etcd's --quota-backend-bytes, or ECKD_QUOTA_BACKEND_BYTES (0 = etcd's
// default of 2 GiB, negative = no quota).
import { envInt } from '@eckd/service-kit';
import type { AppFlags } from '@eckd/service-kit';

export const quotaBackendBytesDefault = 2 * 1024 * 1024 * 1024;

export interface MaintenanceConfig {
  /** 0: no quota */
  quotaBytes: number;
  /** how often the stored size is read and compared with the quota */
  quotaCheckIntervalMs: number;
  /** a size, state or status request to the persister */
  storageTimeoutMs: number;
  /** compaction plus VACUUM FULL may take long on a large store */
  defragmentTimeoutMs: number;
}

export function readMaintenanceConfig(flags: AppFlags): Readonly<MaintenanceConfig> {
  const env = flags.env;
  const quota = flags.int('quota-backend-bytes', 'ECKD_QUOTA_BACKEND_BYTES', 0);
  return Object.freeze({
    quotaBytes: quota === 0 ? quotaBackendBytesDefault : Math.max(quota, 0),
    quotaCheckIntervalMs: envInt(env, 'ECKD_QUOTA_CHECK_INTERVAL_MS', 1_000, { min: 50 }),
    storageTimeoutMs: envInt(env, 'ECKD_STORAGE_REQUEST_TIMEOUT_MS', 5_000, { min: 100 }),
    defragmentTimeoutMs: envInt(env, 'ECKD_DEFRAGMENT_TIMEOUT_MS', 10 * 60_000, { min: 1_000 }),
  });
}
