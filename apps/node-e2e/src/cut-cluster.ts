// The three-member cluster the coordinated cut's specs run (docs/ARCHITECTURE.md
// §8.10): each member with its own nats-server and Postgres,
// ECKD_CUT_WITH_PEERS=true and a due rule small enough that a few thousand
// puts make a cut.
import { startCluster } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

export const cutClusterNames = ['node1', 'node2', 'node3'];

/** Starts it; `env` is added to (or overrides) every member's settings. */
export function startCutCluster(env: Record<string, string> = {}): Promise<Cluster> {
  return startCluster({
    nodes: cutClusterNames.length,
    jetstream: false,
    nodeEnv: () => ({
      ECKD_INITIAL_CLUSTER: cutClusterNames.join(','),
      ECKD_REBASE_OPS: '3000',
      ECKD_REBASE_OPS_PER_KEY: '1',
      ECKD_CUT_WITH_PEERS: 'true',
      ECKD_CUT_LAGGARD_HOLD_MS: '20000',
      ...env,
    }),
  });
}
