// The lease operations, evaluated by the backend because it owns the node's
// clock. Grants and revokes change the document (persisted with the batch);
// a revoke deletes the lease's keys in one revision, in key order, as etcd.
// The LeaseStore holds this member's own leases only: KeepAlive, TimeToLive
// and Revoke of a peer's lease are forwarded to its owner before they get
// here (peers/lease-forwarding.ts); LeaseLeases lists every member's leases
// (docs/ARCHITECTURE.md §8.6).
import { randomBytes } from 'node:crypto';
import type { LeaseOp, Proposal, ProposalResult } from '@eckd/change-codec';
import type { LeaseGrantResponse } from '@eckd/etcd-proto';
import { toLeaseId } from '@eckd/mvcc';
import type { BatchEffects, NodeState } from './write-application.js';
import { applyWrite } from './write-application.js';

type LeaseResult = Pick<ProposalResult, 'result' | LeaseOp>;

/** The lease operation a proposal carries, evaluated: its result, or undefined if it carries none. */
export function evaluateLeaseOp(state: NodeState, effects: BatchEffects, p: Proposal): LeaseResult | undefined {
  if (p.lease_grant) return { result: 'lease_grant', lease_grant: grant(state, p.lease_grant) };
  if (p.lease_revoke) {
    revoke(state, effects, toLeaseId(p.lease_revoke.ID));
    return { result: 'lease_revoke', lease_revoke: {} };
  }
  if (p.lease_keep_alive) {
    const id = toLeaseId(p.lease_keep_alive.ID);
    return { result: 'lease_keep_alive', lease_keep_alive: { ID: id, TTL: state.leases.keepAlive(id, state.now()) } };
  }
  if (p.lease_time_to_live) {
    const id = toLeaseId(p.lease_time_to_live.ID);
    const t = state.leases.timeToLive(id, state.now());
    const keys = p.lease_time_to_live.keys ? t.keys.map((k) => Buffer.from(k, 'latin1')) : [];
    return { result: 'lease_time_to_live', lease_time_to_live: { ID: id, TTL: t.ttl, grantedTTL: t.grantedTtl, keys } };
  }
  if (p.lease_leases) return { result: 'lease_leases', lease_leases: { leases: clusterLeaseIds(state).map((ID) => ({ ID })) } };
  return undefined;
}

/** This member's leases, and with peers every other member's from the document, as etcd lists the cluster's. */
function clusterLeaseIds(state: NodeState): string[] {
  const own = state.leases.ids();
  if (state.leaseOwner === undefined) return own;
  return [...own, ...state.doc.leases().flatMap((r) => (state.leases.has(r.id) ? [] : [r.id]))];
}

function grant(state: NodeState, req: NonNullable<Proposal['lease_grant']>): LeaseGrantResponse {
  const requested = toLeaseId(req.ID);
  const id = requested !== '0' ? requested : freshLeaseId(state);
  // A peer's lease is in the document only: its id is taken too.
  const ttl = state.leases.grant(id, Number(req.TTL ?? 0), state.now(), (taken) => state.doc.lease(taken) !== undefined);
  state.doc.putLease(id, ttl, state.leaseOwner);
  return { ID: id, TTL: ttl, error: '' };
}

/** Deletes the lease's keys (one revision, key order; none if it has no keys) and forgets it. */
export function revoke(state: NodeState, effects: BatchEffects, id: string): void {
  const keys = state.leases.keysOf(id); // LeaseNotFound for an unknown lease
  if (keys.length > 0) {
    applyWrite(state, effects, { txn: { success: keys.map((k) => ({ request_delete_range: { key: Buffer.from(k, 'latin1') } })) } });
  }
  state.leases.remove(id);
  state.doc.deleteLease(id);
}

/** A positive int63 not in use, as etcd picks for ID 0. */
function freshLeaseId(state: NodeState): string {
  for (;;) {
    const id = (randomBytes(8).readBigUInt64BE() & ((1n << 63n) - 1n)).toString();
    if (id !== '0' && !state.leases.has(id) && !state.doc.lease(id)) return id;
  }
}

export const leaseOps: readonly LeaseOp[] = ['lease_grant', 'lease_revoke', 'lease_keep_alive', 'lease_time_to_live', 'lease_leases'];
/** The lease operations that change nothing stored (a keep-alive moves an expiry time, which is not persisted). */
export const leaseReadOps: readonly LeaseOp[] = ['lease_keep_alive', 'lease_time_to_live', 'lease_leases'];

export function leaseOpOf(p: Proposal): LeaseOp | undefined {
  return leaseOps.find((op) => p[op] !== undefined && p[op] !== null);
}
