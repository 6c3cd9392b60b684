// The members a backend starts with, and its recovered state (docs/
// ARCHITECTURE.md §8.1, §8.5): those ECKD_INITIAL_CLUSTER names (ids from
// names, band = position); or, for a node joining a running cluster, the
// member table its own Postgres holds (a restart: its join wrote its
// record), else the one its ECKD_JOIN member answers, in which the node's
// record (found by ECKD_PEER_URL) gives its id and band.
import { memberIdHexOf } from '@eckd/automerge-doc';
import { clusterSubjects } from '@eckd/change-codec';
import { retry } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import { checkedLeases } from '../recovery.js';
import type { EmptyStore, LeaseOwnerSelf, RecoveredState } from '../recovery.js';
import { askToJoin, joinedClusterOf, memberTableOf } from './member-join.js';
import type { JoinedCluster } from './member-join.js';
import { emptyStoreOfBand, revisionBandSize } from './peer-config.js';
import type { ClusterStart, PeerConfig } from './peer-config.js';

/** How long one join request waits for an answer; the join is asked again until it is answered. */
const joinAskTimeoutMs = 5_000;

export interface StartContext {
  messenger: Messenger;
  prefix: string;
  clusterName: string;
  nodeName: string;
  clusterId: string;
  log: Logger;
}

/** Loads the node's stored state (each call claims a fencing epoch, §6a): as `self`, its key index starting as `emptyStore` says. */
export type Recover = (self: LeaseOwnerSelf, emptyStore: EmptyStore) => Promise<RecoveredState>;

/** The cluster this node starts in (undefined: a single node) and its state as stored. */
export async function startMembership(config: PeerConfig | undefined, ctx: StartContext, recover: Recover): Promise<{ cluster: JoinedCluster | undefined; recovered: RecoveredState }> {
  if (config?.start.state === 'existing') return startJoined(config.start, ctx, recover);
  const cluster = config && clusterOfList(config.start, ctx.clusterName);
  const self = cluster?.self ?? { id: String(nodeIdentity(ctx.clusterName, ctx.nodeName).member_id), band: 0 };
  return { cluster, recovered: await recover(ownerSelf(self), () => emptyStoreOfBand(self.band)) };
}

function clusterOfList(start: ClusterStart, clusterName: string): JoinedCluster | undefined {
  if (start.state !== 'new') return undefined;
  const members = start.members.map((name, band) => ({ name, band, id: String(nodeIdentity(clusterName, name).member_id), learner: false, removed: false, peerUrls: [] }));
  return { self: members[start.band]!, members };
}

/**
 * A joining node loads its own Postgres first: every revision it stored is
 * in its band, so the first one gives the band before its id is known. If
 * the stored member table holds its record, it starts from there without
 * its join member; else it asks the join member (until answered) and, if
 * its database held anything, loads again as the member the answer names.
 */
async function startJoined(start: Extract<ClusterStart, { state: 'existing' }>, ctx: StartContext, recover: Recover): Promise<{ cluster: JoinedCluster; recovered: RecoveredState }> {
  const provisional = { id: String(nodeIdentity(ctx.clusterName, ctx.nodeName).member_id), band: 0 };
  const loaded = await recover(ownerSelf(provisional), (firstRevision) => emptyStoreOfBand(firstRevision === undefined ? 0 : Math.floor(firstRevision / revisionBandSize)));
  const stored = joinedClusterOf(memberTableOf(loaded.doc.members()), ctx.nodeName, start.peerUrl);
  if (stored && stored.self.band === Math.floor(loaded.store.revision / revisionBandSize)) {
    ctx.log.info('restarting from the stored member table; the join member is not asked', { join: start.join, memberId: stored.self.id, band: stored.self.band });
    return { cluster: stored, recovered: { ...loaded, leases: checkedLeases(loaded.doc, loaded.store, ownerSelf(stored.self)) } };
  }
  const cluster = await askUntilJoined(start, ctx);
  // Nothing stored: the load holds nothing of another band, only its empty key index is of the wrong one.
  if (loaded.empty) return { cluster, recovered: { ...loaded, store: emptyStoreOfBand(cluster.self.band) } };
  loaded.doc.free();
  return { cluster, recovered: await recover(ownerSelf(cluster.self), () => emptyStoreOfBand(cluster.self.band)) };
}

async function askUntilJoined(start: Extract<ClusterStart, { state: 'existing' }>, ctx: StartContext): Promise<JoinedCluster> {
  // Unbounded, as recovery: the member joined through may start after this node, or the added record reach it later.
  const joined = await retry(
    () => askToJoin(ctx.messenger, clusterSubjects(ctx.prefix), { clusterId: ctx.clusterId, join: start.join, name: ctx.nodeName, peerUrl: start.peerUrl }, joinAskTimeoutMs),
    {
      attemptsMax: Infinity,
      delayInitialMs: 250,
      delayMaxMs: 2_000,
      onRetry: (err, attempt) => ctx.log.warn('joining the cluster: no answer yet, retrying', { join: start.join, attempt, err }),
    },
  );
  ctx.log.info('joined the cluster', { through: start.join, memberId: joined.self.id, band: joined.self.band, learner: joined.self.learner });
  return joined;
}

function ownerSelf(member: { id: string; band: number }): LeaseOwnerSelf {
  return { memberHex: memberIdHexOf(member.id), band: member.band };
}
