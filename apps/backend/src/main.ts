// The node's backend: owns the Automerge document and the revision
// sequence; evaluates every write in one apply loop.
import { startTelemetry } from '@eckd/telemetry';
const telemetry = startTelemetry({ serviceName: 'eckd-backend' });

import { authStateOfRecords } from '@eckd/auth';
import { memberIdHexOf } from '@eckd/automerge-doc';
import { context } from '@opentelemetry/api';
import { clusterSubjects, codecs, nodeSubjects } from '@eckd/change-codec';
import { NatsMessenger, readFragmentLimits, connectNats, createLogger, installShutdown, readAppCommandLine, retry, startAppOps } from '@eckd/service-kit';
import { ApplyLoop } from './apply-loop.js';
import { AppendPipeline } from './append-pipeline.js';
import { AuthPublisher } from './auth-service.js';
import { backendFlags, readBackendConfig } from './config.js';
import { handlePropose, handleReadIndex, handleSync } from './handlers.js';
import { HistoryCutter } from './history-cut.js';
import { startLeaseExpiry } from './lease-expiry.js';
import { staleAuthCheck } from './batch.js';
import { LeaseForwarding } from './peers/lease-forwarding.js';
import { nodeIdentity } from './identity.js';
import { startMembership } from './peers/cluster-start.js';
import type { Recover } from './peers/cluster-start.js';
import { readPeerConfig } from './peers/peer-config.js';
import { PeerReplication } from './peers/replication.js';
import { startFromSnapshot } from './peers/snapshot-join.js';
import { startClock } from './peers/txn-clock.js';
import { recoverState } from './recovery.js';
import { readMaintenanceConfig } from './maintenance-config.js';
import { NodeMaintenance } from './maintenance-service.js';
import { handleConflicts } from './peers/conflicts.js';
import { readMembersConfig, startMembers } from './members.js';
import { serveBackendOps } from './ops.js';
import { handleMemberChange } from './member-change.handler.js';

const { flags, logLevel } = readAppCommandLine('backend', process.argv.slice(2), process.env, backendFlags);
const log = createLogger('backend', { level: logLevel });
const { onShutdown, shutdown } = installShutdown(log);
onShutdown('telemetry', () => telemetry.shutdown());

try {
  const ops = await startAppOps(flags, log);
  onShutdown('ops listener', () => ops.close());
  const config = readBackendConfig(flags);
  const peerConfig = readPeerConfig(process.env, config.nodeName);
  log.info('config', { ...config, peers: peerConfig });
  // With peers a history cut is a cluster operation (docs/ARCHITECTURE.md §8.2, §8.10): never §5b's single-node cut;
  // a due batch proposes a coordinated one unless ECKD_CUT_WITH_PEERS=false. Decisions are followed either way.
  const rebaseOps = peerConfig ? 0 : config.rebaseOps;
  const proposeWhenDue = peerConfig?.cutWithPeers ? { minOps: peerConfig.cutOps, opsPerLiveEntry: config.rebaseOpsPerKey } : undefined;
  if (peerConfig && !peerConfig.cutWithPeers) log.warn('this member never proposes a history cut (ECKD_CUT_WITH_PEERS=false): if no member does, the document keeps every op');
  const subjects = nodeSubjects({ prefix: config.subjectPrefix, node: config.nodeName });
  const named = nodeIdentity(config.clusterName, config.nodeName);

  const nc = await connectNats(config.nats, `eckd-backend-${config.nodeName}`, log);
  onShutdown('nats', () => nc.drain());
  const fragmentLimits = readFragmentLimits(process.env);
  const messenger = new NatsMessenger(nc, { log, fragments: fragmentLimits });
  // The persister drops a message larger than what it reassembles from one
  // sender (the same ECKD_FRAGMENT_* settings on both): no append may be larger.
  const appendBytesMax = Math.min(fragmentLimits.senderBytesMax, fragmentLimits.processBytesMax);

  // Unbounded: the backend has nothing to serve before it has recovered, and
  // the persister (or Postgres) may come up after it; giving up would only
  // restart the process into the same wait.
  const recover: Recover = (self, emptyStore) =>
    retry(() => recoverState(messenger, subjects.load, config.loadChunkTimeoutMs, log, named.epoch, self, emptyStore), {
      attemptsMax: Infinity,
      delayInitialMs: 250,
      delayMaxMs: 2_000,
      onRetry: (err, attempt) => log.warn('recovery failed, retrying', { attempt, err }),
    });
  // The members this node starts with and its stored state; a joining node learns them, and its own id and band,
  // from its own Postgres once it has joined, else from its ECKD_JOIN member (§8.5).
  const startContext = { messenger, prefix: config.subjectPrefix, clusterName: config.clusterName, nodeName: config.nodeName, clusterId: String(named.cluster_id), log };
  const { cluster, recovered } = await startMembership(peerConfig, startContext, recover);
  const identity = cluster ? { ...named, member_id: cluster.self.id } : named;
  const self = { memberHex: memberIdHexOf(identity.member_id), band: cluster?.self.band ?? 0 };
  const { fencingEpoch } = recovered;
  // Exits at once, nothing more answered or stored: the node has a newer backend (ARCHITECTURE §6a).
  const onFenced = (reason: string): never => {
    log.error(`another backend took over node ${config.nodeName}, exiting`, { fencingEpoch, reason });
    process.exit(1);
  };
  // An empty database with peers: start from a peer's snapshot rather than its whole history (§8.5).
  const fromSnapshot =
    peerConfig && cluster && recovered.empty
      ? await startFromSnapshot({
          messenger,
          subjectPrefix: config.subjectPrefix,
          identity,
          cluster,
          start: peerConfig.start,
          limits: peerConfig.snapshot,
          append: { subject: subjects.append, fencingEpoch, timeoutMs: config.appendTimeoutMs, bytesMax: appendBytesMax },
          onFenced,
          log,
        })
      : undefined;
  if (fromSnapshot) recovered.doc.free();
  const { store, doc, leases, peerSyncStates } = fromSnapshot ?? recovered;
  const clock = peerConfig ? startClock(doc, BigInt(identity.member_id)) : undefined;
  // With peers the lease records this member grants name it as their owner (docs/ARCHITECTURE.md §8.6).
  const state = { store, doc, leases, auth: authStateOfRecords(doc.authRecords()), now: () => Date.now(), clock, leaseOwner: peerConfig ? self.memberHex : undefined };
  const authPublisher = new AuthPublisher(messenger, subjects, () => state.auth, log);
  const historyCutter = new HistoryCutter({ minOps: rebaseOps, opsPerLiveEntry: config.rebaseOpsPerKey, documentBytesMax: appendBytesMax / 2, log });
  onShutdown('history cut worker', () => historyCutter.stop());
  const replication =
    peerConfig &&
    cluster &&
    new PeerReplication({
      messenger,
      subjectPrefix: config.subjectPrefix,
      nodeName: config.nodeName,
      members: cluster.members,
      self: cluster.self,
      identity,
      config: peerConfig,
      state,
      persistedSyncStates: peerSyncStates,
      snapshotOrigins: fromSnapshot?.origins,
      // A voter's promises and acceptances (§8.10): this member's own database's, also after a snapshot join.
      cutAcceptorStates: recovered.cutAcceptorStates,
      // The decision that made the recovered lineage: a laggard asking `status` still learns it after this member's restart.
      cutDecision: fromSnapshot ? undefined : recovered.cutDecision,
      cutSwitch: { proposeWhenDue, documentBytesMax: appendBytesMax / 2 },
      wake: () => loop.wake(),
      log,
    });
  const appends = new AppendPipeline({
    messenger,
    subject: subjects.append,
    inFlightMax: config.appendsInFlightMax,
    appendTimeoutMs: config.appendTimeoutMs,
    fencingEpoch,
    onFenced,
    appendBytesMax,
    log,
  });
  const loop = new ApplyLoop({
    messenger,
    state,
    identity,
    subjects,
    appends,
    uncommittedBatchesMax: config.appendsInFlightMax,
    batchProposalsMax: config.batchProposalsMax,
    batchBytesMax: config.batchBytesMax,
    applyQueueProposalsMax: config.applyQueueProposalsMax,
    applyQueueBytesMax: config.applyQueueBytesMax,
    limits: { maxResponseBytes: config.maxResponseBytes, leasesMax: config.leasesMax },
    persistence: config.persistence,
    historyCutter,
    peers: replication,
    onAuthChanged: () => authPublisher.publish(),
    log,
  });
  onShutdown('apply loop', async () => {
    replication?.stop();
    loop.stop();
    await loop.flush();
  });
  onShutdown('lease expiry', startLeaseExpiry(state, loop));
  // With peers: KeepAlive, TimeToLive and Revoke of another member's lease go to its owner, and this member answers for its own (§8.6).
  const leaseForwarding =
    peerConfig && cluster && replication
      ? new LeaseForwarding({
          messenger,
          subjects: clusterSubjects(config.subjectPrefix),
          identity,
          self: cluster.self,
          limits: peerConfig.leaseForward,
          ownerOf: (id) => replication.leaseOwner(id),
          peer: (id) => replication.peer(id),
          hasLeaseRecord: (id) => state.doc.lease(id) !== undefined,
          revision: () => state.store.revision,
          staleAuth: (p) => staleAuthCheck(state, p),
          log,
        })
      : undefined;

  // Announced before serving. A backend hearing a newer epoch checks it
  // with the persister (and exits if fenced); an older one announcing itself
  // is answered so it hears ours.
  const announceTakeover = () => messenger.publish(subjects.takeover, codecs.backendTakeover.encode({ fencing_epoch: fencingEpoch }));
  messenger.subscribe(subjects.takeover, (msg) => {
    try {
      const other = Number(codecs.backendTakeover.decode(msg.data).fencing_epoch);
      if (other > fencingEpoch) void loop.checkFencing().catch((err: unknown) => log.warn('fencing check failed', { err, other }));
      if (other < fencingEpoch) announceTakeover();
    } catch (err) {
      log.warn('bad takeover message', { err });
    }
  });
  announceTakeover();
  await nc.flush();

  // etcd's Maintenance state (alarms, quota) is node-wide: the gate refuses writes under a NOSPACE alarm.
  const maintenance = await NodeMaintenance.start({
    messenger,
    subjects,
    memberId: String(identity.member_id),
    store,
    loop,
    config: readMaintenanceConfig(flags),
    log,
  });
  onShutdown('maintenance', () => maintenance.stop());
  serveBackendOps(ops, { loop, maintenance, state, replication: replication || undefined });
  messenger.subscribe(subjects.maintenance, (msg) => maintenance.handle(msg));
  messenger.subscribe(subjects.propose, maintenance.gate(handlePropose(loop, log, leaseForwarding)));
  leaseForwarding?.serve((msg, request) => loop.enqueue({ msg, request, bytes: msg.data.length, trace: context.active(), fromPeer: true }));
  messenger.subscribe(subjects.readIndex, handleReadIndex(loop, identity));
  // etcd's auth state for the frontends' replicas; published now so that frontends of a previous backend get its new token key.
  messenger.subscribe(subjects.authState, (msg) => authPublisher.handle(msg));
  authPublisher.publish();
  // etcd's MemberList: the frontends' client URLs, and with peers the member table (docs/ARCHITECTURE.md §8.5).
  const stopMembers = startMembers({
    messenger,
    subjects,
    self: { id: String(identity.member_id), name: config.nodeName },
    initialMembers: (cluster?.members ?? []).map(({ id, name }) => ({ id, name })),
    memberTable: () => state.doc.members(),
    onClientUrls: (urls) => replication?.setClientUrls(urls),
    config: readMembersConfig(process.env),
    log,
  });
  onShutdown('members', stopMembers);
  messenger.subscribe(subjects.memberChange, handleMemberChange(replication ? (change) => replication.changeMember(change) : undefined, String(identity.member_id), log));
  const sync = handleSync(messenger, store, loop, identity, log);
  messenger.subscribe(subjects.sync, sync);
  messenger.subscribe(subjects.conflicts, handleConflicts(replication?.conflicts, log));
  replication?.start();
  await nc.flush();
  log.info('ready', { ops: ops.urls, revision: store.revision, memberId: identity.member_id, actor: doc.actorId, fencingEpoch });
} catch (err) {
  log.error('start-up failed', { err });
  await shutdown('start-up failed', 1);
}
