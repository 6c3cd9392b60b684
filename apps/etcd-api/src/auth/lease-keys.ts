// etcd's checkLeasePuts / checkLeaseTimeToLive: unless the caller is root,
// every key attached to a lease must pass a check (write to revoke it or to
// put with it, read to see its TTL). The keys come from the backend (a
// TimeToLive with keys, answered on arrival: it stores nothing).
import type { Acknowledger } from '../acknowledger.js';
import { proposeWithHeader } from '../header.js';
import type { Proposer } from '../proposer.js';
import type { Replica } from '../replica.js';
import type { AuthGuard } from './auth-guard.js';
import type { Caller } from './caller.js';

export interface LeaseKeysDeps {
  replica: Replica;
  proposer: Proposer;
  acknowledger: Acknowledger;
  guard: AuthGuard;
}

/** What a lease proposal is estimated to take in a proposal batch. */
const leaseProposalBytes = 32;

/** Returns the auth revision checked at (0: auth disabled). */
export async function checkLeaseKeys(deps: LeaseKeysDeps, caller: Caller, id: string, check: (key: Buffer) => number): Promise<number> {
  if (!deps.guard.state.enabled) return 0;
  try {
    return deps.guard.admin(caller);
  } catch {
    // not root: the keys decide
  }
  const authRevision = deps.guard.validUser(caller);
  const { result } = await proposeWithHeader(deps, { op: 'lease_time_to_live', lease_time_to_live: { ID: id, keys: true } }, leaseProposalBytes);
  for (const key of result.lease_time_to_live?.keys ?? []) check(Buffer.from(key));
  return authRevision;
}

/** The leases a Put or a Txn's puts (nested txns included) attach keys to. */
export function leasesOfPuts(ops: { put?: { lease?: unknown } | null; txn?: TxnLike | null }): string[] {
  const ids = new Set<string>();
  const add = (lease: unknown) => {
    if (lease !== undefined && lease !== null && String(lease) !== '0') ids.add(String(lease));
  };
  const walk = (txn: TxnLike) => {
    for (const op of [...(txn.success ?? []), ...(txn.failure ?? [])]) {
      add(op.request_put?.lease);
      if (op.request_txn) walk(op.request_txn);
    }
  };
  add(ops.put?.lease);
  if (ops.txn) walk(ops.txn);
  return [...ids];
}

interface TxnLike {
  success?: { request_put?: { lease?: unknown } | null; request_txn?: TxnLike | null }[] | null;
  failure?: { request_put?: { lease?: unknown } | null; request_txn?: TxnLike | null }[] | null;
}
