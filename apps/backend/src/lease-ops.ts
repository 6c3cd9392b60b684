// The lease operations, evaluated by the backend because it owns the node's
// clock. Grants and revokes change the document (persisted with the batch);
// a revoke deletes the lease's keys in one revision, in key order, as etcd.
import { randomBytes } from 'node:crypto';
import type { LeaseOp, Proposal } from '@eckd/change-codec';
import { toLeaseId } from '@eckd/mvcc';
import type { BatchEffects, NodeState } from './node-state.js';
import { applyWrite } from './node-state.js';

type Req = Record<string, unknown>;

export function evaluateLeaseOp(state: NodeState, effects: BatchEffects, op: LeaseOp, req: Req): Req {
  switch (op) {
    case 'lease_grant':
      return grant(state, req);
    case 'lease_revoke':
      revoke(state, effects, toLeaseId(req['ID'] as string));
      return {};
    case 'lease_keep_alive': {
      const id = toLeaseId(req['ID'] as string);
      return { ID: id, TTL: state.leases.keepAlive(id, state.now()) };
    }
    case 'lease_time_to_live': {
      const id = toLeaseId(req['ID'] as string);
      const t = state.leases.timeToLive(id, state.now());
      return { ID: id, TTL: t.ttl, grantedTTL: t.grantedTtl, keys: req['keys'] ? t.keys.map((k) => Buffer.from(k, 'latin1')) : [] };
    }
    case 'lease_leases':
      return { leases: state.leases.ids().map((ID) => ({ ID })) };
  }
}

function grant(state: NodeState, req: Req): Req {
  const requested = toLeaseId(req['ID'] as string);
  const id = requested !== '0' ? requested : freshLeaseId(state);
  const ttl = state.leases.grant(id, Number(req['TTL'] ?? 0), state.now());
  state.doc.putLease(id, ttl);
  return { ID: id, TTL: ttl, error: '' };
}

/** Deletes the lease's keys (one revision, key order; none if it has no keys) and forgets it. */
export function revoke(state: NodeState, effects: BatchEffects, id: string): void {
  const keys = state.leases.keysOf(id); // LeaseNotFound for an unknown lease
  if (keys.length > 0) {
    applyWrite(state, effects, { txn: { success: keys.map((k) => ({ request_delete_range: { key: Buffer.from(k, 'latin1') } })) } } as never);
  }
  state.leases.remove(id);
  state.doc.deleteLease(id);
}

/** A positive int63 not in use, as etcd picks for ID 0. */
function freshLeaseId(state: NodeState): string {
  for (;;) {
    const id = (randomBytes(8).readBigUInt64BE() & ((1n << 63n) - 1n)).toString();
    if (id !== '0' && !state.leases.has(id)) return id;
  }
}

export const leaseOps: readonly LeaseOp[] = ['lease_grant', 'lease_revoke', 'lease_keep_alive', 'lease_time_to_live', 'lease_leases'];
/** The lease operations that change nothing stored (a keep-alive moves an expiry time, which is not persisted). */
export const leaseReadOps: readonly LeaseOp[] = ['lease_keep_alive', 'lease_time_to_live', 'lease_leases'];

export function leaseOpOf(p: Proposal): LeaseOp | undefined {
  return leaseOps.find((op) => p[op] !== undefined && p[op] !== null);
}
