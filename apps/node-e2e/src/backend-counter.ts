// One counter of a cluster member's backend, read from its ops listener's
// /metrics (Prometheus text), for the cluster specs that check what a
// backend did (e.g. snapshots served and taken, docs/ARCHITECTURE.md §8.5).
import type { ClusterMember } from '@eckd/testing';

/** The counter's value (the first sample, whatever its labels); 0 when absent. */
export async function backendCounter(member: ClusterMember, name: string): Promise<number> {
  const page = await (await fetch(`${member.node.opsUrls.backend}/metrics`, { signal: AbortSignal.timeout(20_000) })).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(page)?.[1] ?? 0);
}
