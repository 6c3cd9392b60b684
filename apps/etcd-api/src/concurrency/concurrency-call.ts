// The entry of every Lock and Election RPC (ARCHITECTURE §5f): a server
// span, the call's cancellation as an AbortSignal (a waiting call stops and
// cleans up when its client gives up), and etcd's way of answering errors.
// The call's Caller goes with it: every KV step of a recipe is checked
// against the caller's permissions (recipe-steps.ts).
import { status } from '@grpc/grpc-js';
import type { ServiceError, handleUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '@eckd/service-kit';
import { serviceError, toGrpcError } from '../to-grpc-error.js';
import { callerOf } from '../auth/caller.js';
import type { Caller } from '../auth/caller.js';
import { runUnary } from '../unary.js';
import { WaitsFull, WaitsStopped } from './prefix-waits.js';

/**
 * An error of etcd's concurrency recipes that has no etcd error name
 * (`election: not leader`, `mutex: session is expired`): etcd answers it
 * as any plain Go error, gRPC UNKNOWN with its text.
 */
export class RecipeError extends Error {
  override name = 'RecipeError';
}

export const recipeErrors = Object.freeze({
  notLeader: 'election: not leader',
  noLeader: 'election: no leader',
  sessionExpired: 'mutex: session is expired',
  missingLeader: '"leader" field must be provided',
});

/**
 * etcd runs the recipes through an in-process client, which turns the KV
 * errors they meet into plain errors: the caller gets UNKNOWN with etcd's
 * text (an unknown lease is UNKNOWN `etcdserver: requested lease not
 * found`). The frontend's own answers (its bound on open calls, its
 * shutdown) keep their codes.
 */
export function recipeGrpcError(err: unknown): ServiceError {
  if (err instanceof RecipeError) return serviceError(status.UNKNOWN, err.message);
  const error = toGrpcError(err);
  if (err instanceof WaitsFull || err instanceof WaitsStopped) return error;
  return serviceError(status.UNKNOWN, error.details);
}

export function concurrencyCall<Req, Res>(name: string, log: Logger, fn: (req: Req, signal: AbortSignal, caller: Caller) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort());
    // The writes of a recipe honour the call's replication factors as a KV write does.
    runUnary(name, call, callback, () => fn(call.request, abort.signal, callerOf(call)), (err) => {
      // An error that is neither etcd's nor the recipes' (a bug) is worth a log line.
      if (!(err instanceof RecipeError) && toGrpcError(err).code === status.UNKNOWN) log.warn(`${name} failed`, { err });
      return recipeGrpcError(err);
    });
  };
}
