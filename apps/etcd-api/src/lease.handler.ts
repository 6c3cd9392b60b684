// etcdserverpb.Lease: every lease operation goes to the backend, which owns
// the node's lease clock. Grants and revokes are acknowledged once durable
// (a revoke's key deletions also applied here); keep-alives stream.
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { LeaseOp } from '@eckd/change-codec';
import { responseEncoders } from '@eckd/etcd-proto';
import { withSpan } from '@eckd/telemetry';
import { responseWriter } from './batched-writer.js';
import type { Acknowledger } from './acknowledger.js';
import { proposeAcknowledged } from './acknowledged-proposal.js';
import { responseHeader } from './header.js';
import type { Proposer } from './proposer.js';
import type { Replica } from './replica.js';
import { toGrpcError } from './to-grpc-error.js';

export interface LeaseDeps {
  replica: Replica;
  proposer: Proposer;
  acknowledger: Acknowledger;
}

type Req = Record<string, unknown>;

async function leaseCall(deps: LeaseDeps, op: LeaseOp, req: Req): Promise<Req> {
  const { result, revision } = await proposeAcknowledged(deps, { op, [op]: req }, 32);
  return { ...((result[op] ?? {}) as Req), header: responseHeader(deps.replica, revision) };
}

export function leaseHandlers(deps: LeaseDeps) {
  const unary = (name: string, op: LeaseOp) => (call: ServerUnaryCall<Req, Req>, callback: sendUnaryData<Req>) => {
    withSpan(`etcd-api.${name}`, { kind: SpanKind.SERVER }, () => leaseCall(deps, op, call.request)).then(
      (res) => callback(null, res),
      (err) => callback(toGrpcError(err)),
    );
  };
  return {
    LeaseGrant: unary('LeaseGrant', 'lease_grant'),
    LeaseRevoke: unary('LeaseRevoke', 'lease_revoke'),
    LeaseTimeToLive: unary('LeaseTimeToLive', 'lease_time_to_live'),
    LeaseLeases: unary('LeaseLeases', 'lease_leases'),
    LeaseKeepAlive: (call: ServerDuplexStream<Req, Req>) => {
      // Keep-alives of one stream are proposed as they come (so they share
      // the proposer's batches) and answered in request order, written in
      // batches like watch responses; a failed keep-alive ends the stream
      // with etcd's error.
      const out = responseWriter(call, responseEncoders.LeaseKeepAliveResponse, () => undefined);
      let chain = Promise.resolve();
      call.on('data', (req: Req) => {
        const answer = leaseCall(deps, 'lease_keep_alive', req);
        answer.catch(() => undefined); // handled in order below
        chain = chain
          .then(() => answer)
          .then(
            (res) => void out.write(res),
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
