// The write path every mutating RPC shares: propose to the backend, turn an
// etcd error in the result into a thrown one, and wait until the result's
// revision meets the acknowledgement requirement (persisted, and the
// replication factors: the request's own from its metadata, else the
// node's), all within one request deadline.
import type { Proposal, ProposalResult } from '@eckd/change-codec';
import { addSpanEvent } from '@eckd/telemetry';
import type { Acknowledger } from './acknowledger.js';
import type { Proposer } from './proposer.js';
import { requestedFactors } from './replication-factors.js';
import { EtcdRpcError } from './to-grpc-error.js';

export async function proposeAcknowledged(
  deps: { proposer: Proposer; acknowledger: Acknowledger },
  op: Omit<Proposal, 'id'>,
  approxBytes: number,
): Promise<{ result: ProposalResult; revision: number }> {
  const startedAt = Date.now();
  const result = await deps.proposer.propose(op, approxBytes);
  addSpanEvent('proposed to backend');
  if (result.error) throw new EtcdRpcError(result.error.name, result.error.message);
  const revision = Number(result.revision);
  deps.acknowledger.persisted(revision);
  await deps.acknowledger.waitForWrite(revision, startedAt, requestedFactors());
  return { result, revision };
}
