// The gRPC server: etcd's limits and keepalive policy, and the services
// that are implemented. A service that is not registered answers every call
// with UNIMPLEMENTED (grpc-js does that for unknown methods), which is what
// an etcd client must see for what eckd does not serve yet.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { AuthDeps } from './auth.handler.js';
import { authHandlers } from './auth.handler.js';
import type { ClusterDeps } from './cluster.handler.js';
import { clusterHandlers } from './cluster.handler.js';
import type { FrontendConfig } from './config.js';
import type { ConflictsDeps } from './conflicts.handler.js';
import { conflictsHandlers } from './conflicts.handler.js';
import { healthHandlers, healthServiceDefinition } from './grpc-health.js';
import { GrpcServerMetrics } from './grpc-metrics.js';
import type { HealthChecks } from '@eckd/service-kit';
import type { KvDeps } from './kv.handler.js';
import { kvHandlers } from './kv.handler.js';
import type { LeaseDeps } from './lease.handler.js';
import { leaseHandlers } from './lease.handler.js';
import type { MaintenanceDeps } from './maintenance.handler.js';
import { maintenanceHandlers } from './maintenance.handler.js';
import type { RecipeDeps } from './concurrency/recipe-steps.js';
import { electionHandlers } from './concurrency/election.handler.js';
import { lockHandlers } from './concurrency/lock.handler.js';
import type { WatchDeps } from './watch.handler.js';
import { watchHandlers } from './watch.handler.js';

/** etcd allows requests up to --max-request-bytes plus 512 KiB of gRPC overhead. */
const grpcOverheadBytes = 512 * 1024;

/** The connection-level limits of the server (config.ts names each setting). */
export type GrpcServerLimits = Pick<
  FrontendConfig,
  'maxConcurrentStreams' | 'grpcSessionMemoryMb' | 'grpcKeepaliveMinTimeMs' | 'grpcKeepaliveIntervalMs' | 'grpcKeepaliveTimeoutMs'
>;

/**
 * The gRPC server with etcd's services registered; it binds no port itself:
 * client-ports.ts hands it the HTTP/2 connections of every client URL.
 */
export function createGrpcServer(
  limits: GrpcServerLimits,
  deps: KvDeps & WatchDeps & LeaseDeps & MaintenanceDeps & ConflictsDeps & ClusterDeps & RecipeDeps & AuthDeps,
  ops: { readyz: HealthChecks; checkTimeoutMs: number; metrics: boolean },
): grpc.Server {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxRequestBytes + grpcOverheadBytes,
    // Replies are measured against ECKD_MAX_RESPONSE_BYTES before they are encoded; this catches any that were not.
    'grpc.max_send_message_length': deps.maxResponseBytes + grpcOverheadBytes,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc-node.max_session_memory': limits.grpcSessionMemoryMb,
    // Per-call channelz bookkeeping costs every RPC; eckd exposes no channelz service.
    'grpc.enable_channelz': 0,
    // etcd tolerates client pings every --grpc-keepalive-min-time, also without calls.
    'grpc.http2.min_ping_interval_without_data_ms': limits.grpcKeepaliveMinTimeMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.keepalive_time_ms': limits.grpcKeepaliveIntervalMs,
    'grpc.keepalive_timeout_ms': limits.grpcKeepaliveTimeoutMs,
    interceptors: ops.metrics ? [new GrpcServerMetrics().interceptor] : [],
  });
  server.addService(loadEtcdGrpc().KV, kvHandlers(deps));
  server.addService(loadEtcdGrpc().Watch, watchHandlers(deps));
  server.addService(loadEtcdGrpc().Lease, leaseHandlers(deps));
  server.addService(loadEtcdGrpc().Maintenance, maintenanceHandlers(deps));
  server.addService(loadEtcdGrpc().Conflicts, conflictsHandlers(deps));
  server.addService(loadEtcdGrpc().Cluster, clusterHandlers(deps));
  server.addService(loadEtcdGrpc().Lock, lockHandlers(deps));
  server.addService(loadEtcdGrpc().Election, electionHandlers(deps));
  server.addService(healthServiceDefinition, healthHandlers(ops.readyz, ops.checkTimeoutMs));
  server.addService(loadEtcdGrpc().Auth, authHandlers(deps));
  return server;
}
