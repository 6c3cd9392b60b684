// An etcd API frontend of one node: serves etcd's gRPC API from its replica
// and sends writes to the node's backend.
import { startTelemetry } from '@eckd/telemetry';
const telemetry = startTelemetry({ serviceName: 'eckd-etcd-api' });

import { nodeSubjects } from '@eckd/change-codec';
import { NatsMessenger, readFragmentLimits, connectNats, createLogger, installShutdown, readAppCommandLine, startAppOps } from '@eckd/service-kit';
import { Acknowledger } from './acknowledger.js';
import { AuthGuard } from './auth/auth-guard.js';
import { AuthReplica } from './auth/auth-replica.js';
import { tokenProviderOf } from './auth/token-config.js';
import { startTokenUseLink } from './auth/token-use-link.js';
import { SimpleTokens } from './auth/tokens.js';
import { startFrontendAnnouncements } from './cluster.handler.js';
import { frontendFlags, readFrontendConfig } from './config.js';
import { Proposer } from './proposer.js';
import { ReadIndex } from './read-index.js';
import { FactorLink } from './replication-factors.js';
import { Replica } from './replica.js';
import { frontendReadyz } from './health.js';
import { responseHeader } from './header.js';
import { startClientPorts } from './client-ports.js';
import { createGateway } from './gateway/gateway.js';
import { startLoopback } from './gateway/loopback.js';
import { createGrpcServer } from './server.js';
import { serveFrontendOps } from './ops.js';
import { WatchHub } from './watch/watch-hub.js';
import { PrefixWaits } from './concurrency/prefix-waits.js';

const { flags, logLevel } = readAppCommandLine('etcd-api', process.argv.slice(2), process.env, frontendFlags);
const log = createLogger('etcd-api', { level: logLevel });
const { onShutdown, shutdown } = installShutdown(log);
onShutdown('telemetry', () => telemetry.shutdown());

try {
  const ops = await startAppOps(flags, log);
  onShutdown('ops listener', () => ops.close());
  const config = readFrontendConfig(flags);
  log.info('config', { ...config });
  const subjects = nodeSubjects({ prefix: config.subjectPrefix, node: config.nodeName });

  const nc = await connectNats(config.nats, `eckd-etcd-api-${config.frontendId}`, log);
  onShutdown('nats', () => nc.drain());
  const messenger = new NatsMessenger(nc, { log, fragments: readFragmentLimits(process.env) });

  const acknowledger = new Acknowledger({
    frontendId: config.frontendId,
    factors: { internal: config.internalReplicationFactor, external: config.externalReplicationFactor },
    timeoutMs: config.requestTimeoutMs,
    waitsMax: config.revisionWaitsMax,
    stallResyncMs: config.stallResyncMs,
    log,
  });
  onShutdown('acknowledger', () => acknowledger.close());
  const replica = new Replica({
    messenger,
    subjects,
    syncChunkTimeoutMs: config.requestTimeoutMs,
    acknowledger,
    log,
  });
  const factorLink = new FactorLink({
    messenger,
    subjects,
    frontendId: config.frontendId,
    acknowledger,
    publishIntervalMs: config.frontendAppliedIntervalMs,
    log,
  });
  factorLink.start();
  onShutdown('replication factors', () => factorLink.stop());
  const header = (revision: number) => responseHeader(replica, revision);
  const hub = new WatchHub(replica, header, config.watchProgressNotifyIntervalMs);
  onShutdown('watches', () => hub.close());
  const waits = new PrefixWaits(replica, config.concurrencyWaitsMax);
  await replica.start();
  // etcd's auth state, replicated from the backend; every request is checked against it (docs/ARCHITECTURE.md §5g).
  const authReplica = new AuthReplica({ messenger, subjects, requestTimeoutMs: config.requestTimeoutMs, refreshIntervalMs: config.authRefreshIntervalMs, log });
  await authReplica.start();
  onShutdown('auth replica', () => authReplica.stop());
  const tokens = tokenProviderOf(config.authToken);
  const guard = new AuthGuard(authReplica, tokens);
  // Simple tokens live TTL after their last use on any frontend of the node (etcd's resetSimpleToken).
  if (tokens instanceof SimpleTokens) {
    onShutdown('token uses', startTokenUseLink({ messenger, subjects, frontendId: config.frontendId, uses: tokens.uses, intervalMs: config.authTokenUsesIntervalMs, log }));
  }

  const proposer = new Proposer({
    messenger,
    subject: subjects.propose,
    frontendId: config.frontendId,
    timeoutMs: config.requestTimeoutMs,
    bytesMax: config.proposalBytesMax,
    pendingMax: config.proposerQueueMax,
    log,
  });
  const readIndex = new ReadIndex(messenger, subjects.readIndex, config.requestTimeoutMs, replica);
  const healthDeps = { replica, readIndex, messenger, subjects, timeoutMs: ops.config.healthCheckTimeoutMs };
  serveFrontendOps(ops, healthDeps, hub);
  const server = createGrpcServer(config, {
    replica,
    proposer,
    readIndex,
    acknowledger,
    maxRequestBytes: config.maxRequestBytes,
    maxTxnOps: config.maxTxnOps,
    requestTimeoutMs: config.requestTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    hub,
    header,
    // etcd fragments watch responses above --max-request-bytes plus gRPC overhead.
    fragmentBytes: config.maxRequestBytes + 512 * 1024,
    watchersPerStreamMax: config.watchersPerStreamMax,
    streamQueuedBytesMax: config.streamQueuedBytesMax,
    keepAlivesPerStreamMax: config.keepAlivesPerStreamMax,
    waits,
    messenger,
    subjects,
    etcdVersion: ops.config.emulatedEtcdVersion,
    authReplica,
    guard,
    bcryptCost: config.bcryptCost,
    log,
  }, { readyz: frontendReadyz(healthDeps), checkTimeoutMs: ops.config.healthCheckTimeoutMs, metrics: ops.urls.length > 0 });
  const loopback = await startLoopback(server, config.maxResponseBytes);
  const gateway = createGateway({
    client: loopback.client,
    maxRequestBytes: config.maxRequestBytes,
    streamsMax: config.gatewayWatchStreamsMax,
    ops: ops.serveRequest,
    log,
  });
  const ports = await startClientPorts(config, server, gateway, log);
  onShutdown('client ports', async () => {
    await ports.close();
    await loopback.close();
  });
  // After the server is bound: MemberList lists only URLs that answer.
  onShutdown('announcements', startFrontendAnnouncements(messenger, subjects.frontends, { frontendId: config.frontendId, clientUrls: config.advertiseClientUrls, name: config.nodeName }, config.frontendAnnounceIntervalMs));
  // Runs before the client ports' graceful gRPC shutdown (steps run in reverse), which would wait for waiting Lock calls.
  onShutdown('lock and election waits', () => waits.stop());
  log.info('ready', { ops: ops.urls, endpoints: config.listen.map((l, i) => `${l.scheme}://${l.host}:${ports.clientPorts[i]}`), httpEndpoints: config.listenHttp.map((l, i) => `${l.scheme}://${l.host}:${ports.httpPorts[i]}`), revision: replica.revision, frontendId: config.frontendId });
} catch (err) {
  log.error('start-up failed', { err });
  await shutdown('start-up failed', 1);
}
