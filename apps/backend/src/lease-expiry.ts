// Expires leases on the backend's clock (one clock per node): every tick,
// each lease whose time is up is revoked through the apply loop like a
// client's LeaseRevoke, so its keys go in one revision with DELETE events.
import { context } from '@opentelemetry/api';
import type { ApplyLoop } from './apply-loop.js';
import type { NodeState } from './write-application.js';

/** etcd checks for expired leases every 500 ms. */
export const leaseExpiryTickMs = 500;
/** Revokes per tick, like etcd's rate limit of 1,000 leases/s. */
const revokesPerTickMax = 500;

export function startLeaseExpiry(state: NodeState, loop: ApplyLoop): () => void {
  const queued = new Set<string>();
  const timer = setInterval(() => {
    const due = state.leases.expired(state.now());
    for (const id of queued) if (!state.leases.has(id)) queued.delete(id);
    const fresh = due.filter((id) => !queued.has(id)).slice(0, revokesPerTickMax);
    if (fresh.length === 0) return;
    for (const id of fresh) queued.add(id);
    loop.enqueue({
      msg: undefined,
      request: { frontend_id: 'backend/lease-expiry', proposals: fresh.map((ID, i) => ({ id: i, op: 'lease_revoke', lease_revoke: { ID } })) },
      bytes: 0,
      trace: context.active(),
    });
  }, leaseExpiryTickMs);
  timer.unref();
  return () => clearInterval(timer);
}
