// The three-member cluster the coordinated cut's specs run (docs/ARCHITECTURE.md
// §8.10): each member with its own nats-server and Postgres,
// ECKD_CUT_WITH_PEERS=true and a due rule small enough that a few thousand
// puts make a cut.
import pg from 'pg';
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
      ECKD_CUT_OPS: '3000',
      ECKD_REBASE_OPS_PER_KEY: '1',
      ECKD_CUT_WITH_PEERS: 'true',
      ECKD_CUT_LAGGARD_HOLD_MS: '20000',
      ...env,
    }),
  });
}

/**
 * A member's current lineage as its Postgres holds it: its latest snapshot's
 * lineage ('' for the original, or no snapshot yet) and the number of the
 * cut that made it (0 for the original; -1 when its cut record is missing).
 */
export async function storedLineageOf(databaseUrl: string): Promise<{ lineage: string; cut: number }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ lineage: string | null }>('select lineage from eckd_snapshots order by through_revision desc limit 1');
    const lineage = rows[0]?.lineage ?? '';
    if (lineage === '') return { lineage, cut: 0 };
    const cut = await db.query<{ cut: string }>('select cut from eckd_cut where lineage = $1', [lineage]);
    return { lineage, cut: Number(cut.rows[0]?.cut ?? -1) };
  } finally {
    await db.end();
  }
}
