// What the backend shows on its ops listener (docs/ARCHITECTURE.md §9): it
// is ready once it has recovered (it serves nothing before) and its
// persister answers; its gauges are read from the apply loop and the store
// at each scrape.
import type { AppOps } from '@eckd/service-kit';
import { observeGauge } from '@eckd/telemetry';
import type { ApplyLoop } from './apply-loop.js';
import type { NodeMaintenance } from './maintenance-service.js';
import type { PeerReplication } from './peers/replication.js';
import type { NodeState } from './write-application.js';

export function serveBackendOps(ops: AppOps, deps: { loop: ApplyLoop; maintenance: NodeMaintenance; state: NodeState; replication: PeerReplication | undefined }): void {
  const { loop, maintenance, state, replication } = deps;
  ops.serve({
    readyz: {
      recovered: () => Promise.resolve(),
      persister: () => maintenance.checkPersister(ops.config.healthCheckTimeoutMs),
    },
  });
  if (ops.urls.length === 0) return;
  // One writer per node: the backend is always its node's "leader".
  observeGauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (r) => r.observe(1));
  observeGauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', (r) => r.observe(loop.committedProposals));
  observeGauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', (r) => r.observe(maintenance.dbSize));
  observeGauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', (r) => r.observe(state.store.keyCount()));
  observeGauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', (r) => r.observe(state.store.revision));
  observeGauge('eckd_apply_queue_proposals', 'Proposals waiting for the next batch of the apply loop.', (r) => r.observe(loop.queuedProposals));
  if (replication) {
    // How many of this member's revisions a peer has not stored yet (ARCHITECTURE §8.4's watermarks).
    observeGauge('eckd_peer_lag_revisions', "This member's revisions not yet stored by a peer, by peer name.", (r) => {
      for (const p of replication.storedByPeer()) r.observe(Math.max(0, state.store.revision - p.revision), { member: p.name });
    });
  }
  observeGauge('eckd_document_ops', "Operations the Automerge document's history holds (ARCHITECTURE §5b).", (r) => r.observe(state.doc.opCount()));
}
