// etcdserverpb.Lease: every lease operation goes to the backend, which owns
// the node's lease clock. Grants and revokes are acknowledged once durable
// (a revoke's key deletions also applied here); keep-alives stream.
import type { handleBidiStreamingCall, handleUnaryCall } from '@grpc/grpc-js';
import type { Proposal, ProposalResult } from '@eckd/change-codec';
import type { LeaseHandlers, LeaseKeepAliveRequest__Output } from '@eckd/etcd-proto';
import { responseEncoders } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import { responseWriter } from './batched-writer.js';
import type { StreamResponse } from './batched-writer.js';
import type { Acknowledger } from './acknowledger.js';
import type { AuthGuard } from './auth/auth-guard.js';
import type { Caller } from './auth/caller.js';
import { checkLeaseKeys } from './auth/lease-keys.js';
import { proposeWithHeader } from './header.js';
import type { NodeHeader } from './header.js';
import type { Proposer } from './proposer.js';
import type { Replica } from './replica.js';
import { toGrpcError } from './to-grpc-error.js';
import { unary } from './unary.js';

export interface LeaseDeps {
  replica: Replica;
  proposer: Proposer;
  acknowledger: Acknowledger;
  /** ECKD_STREAM_QUEUED_BYTES_MAX */
  streamQueuedBytesMax: number;
  /** ECKD_KEEPALIVES_PER_STREAM_MAX: keep-alives of one stream proposed and not yet answered */
  keepAlivesPerStreamMax: number;
  /** the permission check (auth/auth-guard.ts): revoking needs write, TimeToLive read, on the lease's keys */
  guard: AuthGuard;
  log: Logger;
}

/** What a lease proposal is estimated to take in a proposal batch. */
const leaseProposalBytes = 32;

/** LeaseKeepAlive's serializer also takes encoded bytes (etcd-proto's directResponses), as the batched writer may send. */
type LeaseService = Omit<LeaseHandlers, 'LeaseKeepAlive'> & { LeaseKeepAlive: handleBidiStreamingCall<LeaseKeepAliveRequest__Output, StreamResponse> };

/** A unary lease call: `proposal` wraps the request, `response` picks the answer out of the result. */
function leaseUnary<Req, Res extends object>(
  deps: LeaseDeps,
  name: string,
  proposal: (req: Req) => Omit<Proposal, 'id'>,
  response: (result: ProposalResult) => Res,
  check: (caller: Caller, req: Req) => Promise<number> = async () => 0,
): handleUnaryCall<Req, Res & { header: NodeHeader }> {
  return unary(name, deps.log, async (req: Req, caller) => {
    const authRevision = await check(caller, req);
    const { result, header } = await proposeWithHeader(deps, { ...proposal(req), auth_revision: authRevision }, leaseProposalBytes);
    return { ...response(result), header };
  });
}

export function leaseHandlers(deps: LeaseDeps): LeaseService {
  return {
    LeaseGrant: leaseUnary(deps, 'LeaseGrant', (lease_grant) => ({ op: 'lease_grant', lease_grant }), (r) => r.lease_grant ?? {}),
    LeaseRevoke: leaseUnary(deps, 'LeaseRevoke', (lease_revoke) => ({ op: 'lease_revoke', lease_revoke }), (r) => r.lease_revoke ?? {}, (caller, req) =>
      checkLeaseKeys(deps, caller, req.ID, (key) => deps.guard.put(caller, { key })),
    ),
    LeaseTimeToLive: leaseUnary(deps, 'LeaseTimeToLive', (lease_time_to_live) => ({ op: 'lease_time_to_live', lease_time_to_live }), (r) => r.lease_time_to_live ?? {}, (caller, req) =>
      checkLeaseKeys(deps, caller, req.ID, (key) => deps.guard.range(caller, { key })),
    ),
    LeaseLeases: leaseUnary(deps, 'LeaseLeases', (lease_leases) => ({ op: 'lease_leases', lease_leases }), (r) => r.lease_leases ?? {}),
    LeaseKeepAlive: (call) => {
      // Keep-alives of one stream are proposed as they come (so they share
      // the proposer's batches) and answered in request order, written in
      // batches like watch responses; a failed keep-alive ends the stream
      // with etcd's error. The stream stops reading requests while
      // keepAlivesPerStreamMax are unanswered or its responses are backed up
      // (a client that never reads), so HTTP/2 flow control holds the client
      // back and the stream's memory stays bounded.
      let inFlight = 0;
      let backedUp = false;
      const pace = () => (inFlight >= deps.keepAlivesPerStreamMax || backedUp ? call.pause() : call.resume());
      const out = responseWriter(call, responseEncoders.LeaseKeepAliveResponse, deps.streamQueuedBytesMax, () => {
        backedUp = false;
        pace();
      });
      let chain = Promise.resolve();
      call.on('data', (req) => {
        inFlight++;
        pace();
        const answer = proposeWithHeader(deps, { op: 'lease_keep_alive', lease_keep_alive: req }, leaseProposalBytes).then(({ result, header }) => ({
          ...result.lease_keep_alive,
          header,
        }));
        answer.catch(() => undefined); // handled in order below
        chain = chain
          .then(() => answer)
          .then(
            (res) => {
              inFlight--;
              backedUp = !out.write(res);
              pace();
            },
            (err) => {
              out.flush(); // the answers before it go out first
              call.destroy(toGrpcError(err));
            },
          );
      });
      call.on('end', () =>
        void chain.then(() => {
          out.flush();
          call.end();
        }),
      );
    },
  };
}
