// The frontend's health, as etcd 3.6 answers it (etcdhttp/health.go):
// /livez, /readyz checks and /health's JSON, handed to the app's ops
// handler (ops.ts), which the ops listener and the client port's gateway
// both serve, and feeding grpc.health.v1 (grpc-health.ts). A frontend is ready when its
// replica is synced and a read-index round trip to the backend succeeds
// (docs/ARCHITECTURE.md §9).
import { rpcErrorOf } from '@eckd/etcd-proto';
import type { EtcdHealth, HealthChecks, Messenger } from '@eckd/service-kit';
import { askBackend } from './maintenance/backend-client.js';
import type { ReadIndex } from './read-index.js';
import type { Replica } from './replica.js';
import { EtcdRpcError } from './to-grpc-error.js';

export interface FrontendHealthDeps {
  replica: Pick<Replica, 'ready'>;
  readIndex: Pick<ReadIndex, 'linearizableBarrier'>;
  messenger: Messenger;
  subjects: { maintenance: string };
  /** ECKD_HEALTH_CHECK_TIMEOUT_MS: the backend's answers are waited for this long */
  timeoutMs: number;
}

/** etcd's serializable_read: this frontend serves reads from a synced replica. */
function serializableRead(deps: FrontendHealthDeps): Promise<void> {
  return deps.replica.ready ? Promise.resolve() : Promise.reject(new Error('replica is not synced'));
}

/** etcd's linearizable_read: a read-index round trip to the backend, applied here. */
async function linearizableRead(deps: FrontendHealthDeps): Promise<void> {
  try {
    await deps.readIndex.linearizableBarrier();
  } catch (err) {
    throw new Error(etcdMessageOf(err));
  }
}

export function frontendLivez(deps: FrontendHealthDeps): HealthChecks {
  return { serializable_read: () => serializableRead(deps) };
}

export function frontendReadyz(deps: FrontendHealthDeps): HealthChecks {
  return { serializable_read: () => serializableRead(deps), linearizable_read: () => linearizableRead(deps) };
}

/**
 * etcd's /health: alarms (unless excluded, e.g. `?exclude=NOSPACE`), then a
 * leader (the backend answering), then a read; the first failure is the reason.
 * `serializable` (etcd's `?serializable=true`) skips the leader and reads locally.
 */
export async function frontendHealth(deps: FrontendHealthDeps, opts: { serializable?: boolean; excludedAlarms?: readonly string[] } = {}): Promise<EtcdHealth> {
  let alarms: readonly { alarm: unknown }[] | undefined;
  try {
    alarms = (await askBackend(deps.messenger, deps.subjects.maintenance, { status: {} }, deps.timeoutMs)).status?.alarms ?? [];
  } catch {
    // No backend: no alarms known, and no leader below.
  }
  const raised = (alarms ?? []).map((a) => String(a.alarm)).find((name) => !(opts.excludedAlarms ?? []).includes(name));
  if (raised !== undefined) return { health: 'false', reason: raised === 'NOSPACE' || raised === 'CORRUPT' ? `ALARM ${raised}` : 'ALARM UNKNOWN' };
  if (!opts.serializable && alarms === undefined) return { health: 'false', reason: 'RAFT NO LEADER' };
  try {
    await (opts.serializable ? serializableRead(deps) : linearizableRead(deps));
  } catch (err) {
    return { health: 'false', reason: `RANGE ERROR:${(err as Error).message}` };
  }
  return { health: 'true', reason: '' };
}

function etcdMessageOf(err: unknown): string {
  if (err instanceof EtcdRpcError) return rpcErrorOf(err.rpcName)?.message ?? err.message;
  return err instanceof Error ? err.message : String(err);
}
