// etcd's space quota and alarm appliers, applied where writes enter the
// backend. A NOSPACE alarm refuses what would grow the store — Put, a Txn
// with a Put in a branch, LeaseGrant — with "database space exceeded", while
// reads, deletes, compaction and the other lease calls go on
// (etcd apply/capped.go, storage/quota.go). Without an alarm, a write whose
// cost would take the stored size to the quota is refused and raises the
// alarm (etcd's quota check). A CORRUPT alarm refuses every write.
import { codecs } from '@eckd/change-codec';
import type { Proposal, ProposalResult, ProposeReply, ProposeRequest } from '@eckd/change-codec';
import type { Message } from '@eckd/service-kit';

/** etcd's estimates of what a key and a lease cost in storage (quota.go). */
export const kvOverheadBytes = 256;
export const leaseOverheadBytes = 64;
/** Above any proposal's cost (gRPC refuses requests over 2 MiB): below size + this the quota cannot be reached. */
export const proposalCostMaxBytes = 2 * 1024 * 1024 + kvOverheadBytes;

type RequestOp = NonNullable<Proposal['request']>;

function putCost(put: NonNullable<RequestOp['request_put']>): number {
  return kvOverheadBytes + (put.key?.length ?? 0) + (put.value?.length ?? 0);
}

/** etcd costTxn: the Puts of the larger branch (nested txns cost nothing, as in etcd). */
function txnCost(txn: NonNullable<RequestOp['request_txn']>): number {
  const branch = (ops: RequestOp[] | null | undefined) => (ops ?? []).reduce((n, op) => n + (op.request_put ? putCost(op.request_put) : 0), 0);
  return Math.max(branch(txn.success), branch(txn.failure));
}

/** The storage a proposal may add, as etcd's quota counts it; 0 for what never grows the store. */
export function proposalCost(p: Proposal): number {
  if (p.lease_grant) return leaseOverheadBytes;
  if (p.request?.request_put) return putCost(p.request.request_put);
  if (p.request?.request_txn) return txnCost(p.request.request_txn);
  return 0;
}

/** What a CORRUPT node refuses (etcd's corrupt applier): every write, compaction, grant and revoke. */
export function refusedWhenCorrupt(p: Proposal): boolean {
  return Boolean(p.request || p.compaction || p.lease_grant || p.lease_revoke);
}

export type Refusal = 'NoSpace' | 'Corrupt';

const refusalMessages: Record<Refusal, string> = {
  NoSpace: 'backend: mvcc: database space exceeded',
  Corrupt: 'backend: corrupt cluster',
};

/**
 * Splits a propose request: refused proposals are answered here, the rest
 * go on to `next` in a request of their own, and the two answers are
 * joined into one reply. `refuse` says why a proposal is refused, if it is.
 */
export function gateProposals(
  msg: Message,
  request: ProposeRequest,
  refuse: (p: Proposal) => Refusal | undefined,
  revision: number,
  next: (msg: Message) => void,
): void {
  const refused: ProposalResult[] = [];
  const kept: Proposal[] = [];
  for (const p of request.proposals) {
    const why = refuse(p);
    if (why) refused.push({ id: p.id, revision, result: 'error', error: { name: why, message: refusalMessages[why] } });
    else kept.push(p);
  }
  if (refused.length === 0) return next(msg);
  if (kept.length === 0) return msg.respond(codecs.proposeReply.encode({ results: refused }));
  const join = (reply: ProposeReply): ProposeReply => (reply.error ? reply : { results: [...reply.results, ...refused] });
  next({
    subject: msg.subject,
    data: codecs.proposeRequest.encode({ ...request, proposals: kept }),
    reply: msg.reply,
    header: (name) => msg.header(name),
    respond: (payload, headers) => msg.respond(codecs.proposeReply.encode(join(codecs.proposeReply.decode(payload))), headers),
  });
}
