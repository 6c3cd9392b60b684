// What the frontend shows on its ops listener (docs/ARCHITECTURE.md §9):
// etcd's /livez, /readyz and /health from health.ts, and the gauges read
// from its replica and watch streams at each scrape.
import type { AppOps } from '@eckd/service-kit';
import { observeGauge } from '@eckd/telemetry';
import type { FrontendHealthDeps } from './health.js';
import type { Replica } from './replica.js';
import { frontendHealth, frontendLivez, frontendReadyz } from './health.js';
import type { WatchHub } from './watch/watch-hub.js';

export function serveFrontendOps(ops: AppOps, deps: FrontendHealthDeps & { replica: Pick<Replica, 'ready' | 'revision'> }, hub: WatchHub): void {
  ops.serve({
    livez: frontendLivez(deps),
    readyz: frontendReadyz(deps),
    health: (query) => frontendHealth(deps, { serializable: query.get('serializable') === 'true', excludedAlarms: query.getAll('exclude') }),
  });
  if (ops.urls.length === 0) return;
  // The node's leader is its backend; this frontend has one while its replica is synced to it.
  observeGauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (r) => r.observe(deps.replica.ready ? 1 : 0));
  observeGauge('etcd_mvcc_watcher_total', 'Total number of watchers.', (r) => r.observe(hub.watcherCount));
  // Its lag behind the node: the backend's etcd_debugging_mvcc_current_revision minus this.
  observeGauge('eckd_replica_revision', "The revision this frontend's replica has applied.", (r) => r.observe(deps.replica.revision));
  observeGauge('etcd_mvcc_watch_stream_total', 'Total number of watch streams.', (r) => r.observe(hub.streamCount));
}
