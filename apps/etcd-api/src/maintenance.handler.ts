// etcdserverpb.Maintenance. Node-wide state (alarms, sizes, quota,
// downgrade, defragmentation) is the backend's; hashes are computed from
// this frontend's replica after a read-index round trip (so every frontend
// of the node answers alike); Snapshot streams the persister's backup.
// Header rules as in etcd 3.6: Defragment and MoveLeader answer without a
// header, the others with the current revision.
import { SpanKind } from '@opentelemetry/api';
import type { NodeStatus } from '@eckd/change-codec';
import type { MaintenanceHandlers, StatusResponse } from '@eckd/etcd-proto';
import { hashKv, hashStore, toInt } from '@eckd/mvcc';
import type { Logger, Messenger } from '@eckd/service-kit';
import { withSpan } from '@eckd/telemetry';
import { clientTraceContext } from './client-trace-context.js';
import type { AuthGuard } from './auth/auth-guard.js';
import { callerOf } from './auth/caller.js';
import { responseHeader } from './header.js';
import { askBackend } from './maintenance/backend-client.js';
import { checkDowngradeTarget, downgradeActionOf } from './maintenance/downgrade.js';
import { streamSnapshot } from './maintenance/snapshot.js';
import { statusResponse } from './maintenance/status.js';
import { clusterVersionOf } from './maintenance/version.js';
import type { ReadIndex } from './read-index.js';
import type { Replica } from './replica.js';
import { EtcdRpcError, toGrpcError } from './to-grpc-error.js';
import { unary } from './unary.js';

export interface MaintenanceDeps {
  replica: Replica;
  readIndex: ReadIndex;
  messenger: Messenger;
  subjects: { maintenance: string; backup: string };
  requestTimeoutMs: number;
  /** ECKD_STREAM_QUEUED_BYTES_MAX: also the Snapshot window asked of the persister */
  streamQueuedBytesMax: number;
  /** ECKD_EMULATED_ETCD_VERSION: what Status, Snapshot and Downgrade report */
  etcdVersion: string;
  /** the permission check (auth/auth-guard.ts): root only but for Status and alarm listing */
  guard: AuthGuard;
  log: Logger;
}

/** Status answers "no leader" rather than wait out a client's command timeout (etcdctl: 5 s). */
const statusBackendTimeoutMs = 3_000;
/** Compaction plus VACUUM FULL of a large store; the client's deadline usually ends the wait first. */
const defragmentTimeoutMs = 10 * 60_000;

/** The Maintenance methods eckd serves; the others answer UNIMPLEMENTED (grpc-js does for a method without a handler). */
type MaintenanceService = Pick<MaintenanceHandlers, 'Status' | 'Alarm' | 'Defragment' | 'Hash' | 'HashKV' | 'MoveLeader' | 'Downgrade' | 'Snapshot'>;

export function maintenanceHandlers(deps: MaintenanceDeps): MaintenanceService {
  const { log } = deps;
  const backend = (request: Parameters<typeof askBackend>[2], timeoutMs = deps.requestTimeoutMs) =>
    askBackend(deps.messenger, deps.subjects.maintenance, request, timeoutMs);
  const header = () => responseHeader(deps.replica, deps.replica.revision);
  return {
    Status: unary('Status', log, (_req, caller) => {
      deps.guard.authenticated(caller);
      return status(deps);
    }),
    Alarm: unary('Alarm', log, async (req, caller) => {
      if (req.action === 'GET') deps.guard.authenticated(caller);
      else deps.guard.admin(caller);
      return { header: header(), alarms: (await backend({ alarm: req })).alarm?.alarms ?? [] };
    }),
    Defragment: unary('Defragment', log, async (_req, caller) => {
      deps.guard.admin(caller);
      await backend({ defragment: {} }, defragmentTimeoutMs);
      return {};
    }),
    Hash: unary('Hash', log, async (_req, caller) => {
      deps.guard.admin(caller);
      await deps.readIndex.linearizableBarrier();
      return { header: header(), hash: hashStore(deps.replica.store) };
    }),
    HashKV: unary('HashKV', log, async (req, caller) => {
      deps.guard.admin(caller);
      await deps.readIndex.linearizableBarrier();
      const h = hashKv(deps.replica.store, toInt(req.revision));
      return { header: header(), hash: h.hash, compact_revision: h.compactRevision, hash_revision: h.revision };
    }),
    MoveLeader: unary('MoveLeader', log, async (req, caller) => {
      deps.guard.admin(caller);
      // The node's one writer is always its leader: moving it to itself is done, to anyone else impossible.
      if (req.targetID !== String(deps.replica.identity?.member_id)) throw new EtcdRpcError('BadLeaderTransferee');
      return {};
    }),
    Downgrade: unary('Downgrade', log, async (req, caller) => {
      deps.guard.admin(caller);
      const action = downgradeActionOf(req.action);
      const version = action === 'CANCEL' ? '' : checkDowngradeTarget(req.version);
      await backend({ downgrade: { action, version } });
      return { header: header(), version: clusterVersionOf(deps.etcdVersion) };
    }),
    Snapshot: (call) => {
      try {
        deps.guard.admin(callerOf(call));
      } catch (err) {
        call.destroy(toGrpcError(err));
        return;
      }
      withSpan('etcd-api.Snapshot', { kind: SpanKind.SERVER, parent: clientTraceContext(call.metadata) }, () => streamSnapshot(deps.messenger, deps.subjects.backup, deps.streamQueuedBytesMax, call, deps.etcdVersion)).catch((err) => {
        deps.log.warn('snapshot failed', { err });
        call.destroy(toGrpcError(err));
      });
    },
  };
}

async function status(deps: MaintenanceDeps): Promise<StatusResponse> {
  let node: NodeStatus | undefined;
  try {
    node = (await askBackend(deps.messenger, deps.subjects.maintenance, { status: {} }, statusBackendTimeoutMs)).status ?? undefined;
  } catch (err) {
    deps.log.warn('status without the backend', { err });
  }
  return statusResponse(deps.replica, node, deps.etcdVersion);
}
