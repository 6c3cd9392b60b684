// What the frontend shows on its ops listener (docs/ARCHITECTURE.md §9):
// etcd's /livez, /readyz and /health from health.ts, and the gauges read
// from its replica and watch streams at each scrape.
import type { AppOps } from '@eckd/service-kit';
import { observeGauge } from '@eckd/telemetry';
import type { FrontendHealthDeps } from './health.js';
import { frontendHealth, frontendLivez, frontendReadyz } from './health.js';
import type { WatchHub } from './watch/watch-hub.js';

export function serveFrontendOps(ops: AppOps, deps: FrontendHealthDeps, hub: WatchHub): void {
  ops.serve({ livez: frontendLivez(deps), readyz: frontendReadyz(deps), health: () => frontendHealth(deps) });
  if (ops.urls.length === 0) return;
  // The node's leader is its backend; this frontend has one while its replica is synced to it.
  observeGauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (r) => r.observe(deps.replica.ready ? 1 : 0));
  observeGauge('etcd_mvcc_watcher_total', 'Total number of watchers.', (r) => r.observe(hub.watcherCount));
  observeGauge('etcd_mvcc_watch_stream_total', 'Total number of watch streams.', (r) => r.observe(hub.streamCount));
}
