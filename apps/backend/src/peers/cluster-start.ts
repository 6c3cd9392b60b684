// The members a backend starts with (docs/ARCHITECTURE.md §8.1, §8.5):
// those ECKD_INITIAL_CLUSTER names (ids from names, band = position), or,
// for a node joining a running cluster, the member table its ECKD_JOIN
// member answers, in which the node's record (found by ECKD_PEER_URL) gives
// its id and band.
import { clusterSubjects } from '@eckd/change-codec';
import { retry } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { nodeIdentity } from '../identity.js';
import { askToJoin } from './member-join.js';
import type { JoinedCluster } from './member-join.js';
import type { PeerConfig } from './peer-config.js';

/** How long one join request waits for an answer; the join is asked again until it is answered. */
const joinAskTimeoutMs = 5_000;

export async function clusterAtStart(
  config: PeerConfig,
  ctx: { messenger: Messenger; prefix: string; clusterName: string; nodeName: string; clusterId: string; log: Logger },
): Promise<JoinedCluster> {
  const { start } = config;
  if (start.state === 'new') {
    const members = start.members.map((name, band) => ({ name, band, id: String(nodeIdentity(ctx.clusterName, name).member_id), learner: false, removed: false, peerUrls: [] }));
    return { self: members[start.band]!, members };
  }
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
