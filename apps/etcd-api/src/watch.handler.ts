// etcdserverpb.Watch: one bidirectional stream per client connection, many
// watches per stream. Requests are create, cancel and progress; responses
// are created/canceled notices, events and progress notifications.
import { status } from '@grpc/grpc-js';
import type { handleBidiStreamingCall } from '@grpc/grpc-js';
import type { Logger } from '@eckd/service-kit';
import type { Replica } from './replica.js';
import type { WatchHub } from './watch/watch-hub.js';
import { responseEncoders } from '@eckd/etcd-proto';
import type { WatchRequest__Output } from '@eckd/etcd-proto';
import { responseWriter } from './batched-writer.js';
import type { StreamResponse } from './batched-writer.js';
import { AuthError } from '@eckd/auth';
import type { AuthGuard } from './auth/auth-guard.js';
import { callerOf } from './auth/caller.js';
import type { Caller } from './auth/caller.js';
import { toGrpcError } from './to-grpc-error.js';
import { WatchStream } from './watch/watch-stream.js';
import { toWatchId } from './watch/watcher.js';
import { SpanKind, withSpan } from '@eckd/telemetry';
import type { Context } from '@eckd/telemetry';
import { clientTraceContext } from './client-trace-context.js';

/** Watch's serializer also takes encoded bytes (etcd-proto's directResponses): an event encoded once for many watchers. */
type WatchService = { Watch: handleBidiStreamingCall<WatchRequest__Output, StreamResponse> };

export interface WatchDeps {
  replica: Replica;
  hub: WatchHub;
  header(revision: number): Record<string, unknown>;
  fragmentBytes: number;
  /** ECKD_WATCHERS_PER_STREAM_MAX */
  watchersPerStreamMax: number;
  /** ECKD_STREAM_QUEUED_BYTES_MAX */
  streamQueuedBytesMax: number;
  /** How long a request may wait for a synced replica (ECKD_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** the permission check (auth/auth-guard.ts): a watch is checked when it is created */
  guard: AuthGuard;
  log: Logger;
}

export function watchHandlers(deps: WatchDeps): WatchService {
  return {
    Watch: (call) => {
      // A backed-up stream also stops reading the client's requests (HTTP/2
      // flow control then holds the client back), so a client that never
      // reads cannot make it queue created/canceled answers without bound.
      const out = responseWriter(call, responseEncoders.WatchResponse, deps.streamQueuedBytesMax, () => {
        call.resume();
        stream.drained();
      });
      let ended = false;
      const end = () => {
        ended = true;
        deps.hub.remove(stream);
      };
      // The stream ends with etcd's error (a timeout is UNAVAILABLE, which
      // clients retry by opening a new stream and creating their watches again).
      const fail = (err: unknown) => {
        if (ended) return;
        deps.log.warn('watch stream ended with an error', { err });
        end();
        out.flush();
        call.emit('error', toGrpcError(err));
      };
      const stream = new WatchStream({
        store: () => deps.replica.store,
        header: deps.header,
        write: (response) => {
          const room = out.write(response);
          if (!room) call.pause();
          return room;
        },
        fail,
        log: deps.log,
        fragmentBytes: deps.fragmentBytes,
        watchersMax: deps.watchersPerStreamMax,
      });
      deps.hub.add(stream);
      const trace = clientTraceContext(call.metadata);
      // The token of the stream's metadata stands for every request on it, as in etcd.
      const caller = callerOf(call);
      call.on('data', (req: WatchRequest__Output) => {
        // A watch needs a synced replica; requests wait for it in order.
        void deps.replica
          .waitFor(0, deps.requestTimeoutMs)
          .then(() => handle(deps.guard, caller, stream, req, trace))
          .catch(fail);
      });
      call.on('end', () => {
        end();
        out.flush();
        call.end();
      });
      call.on('cancelled', end);
      call.on('error', end);
      call.on('close', end);
    },
  };
}

function handle(guard: AuthGuard, caller: Caller, stream: WatchStream, req: WatchRequest__Output, trace: Context): Promise<void> | void {
  if (req.create_request) {
    const create = req.create_request;
    const refusal = watchRefusal(guard, caller, create);
    if (refusal) return stream.refuseCreate(refusal);
    // A span per created watch (the stream lives for hours; events are not traced).
    return withSpan('etcd-api.Watch.create', { kind: SpanKind.SERVER, parent: trace }, () => stream.create(create));
  }
  if (req.cancel_request) stream.cancel(toWatchId(req.cancel_request.watch_id));
  else if (req.progress_request) stream.requestProgress();
}

/**
 * Why a watch may not be created, in etcd's words: the gRPC error's text as
 * grpc-go prints it ("rpc error: code = PermissionDenied desc = …"), as
 * etcd's watch server puts it in cancel_reason; undefined when it may.
 */
function watchRefusal(guard: AuthGuard, caller: Caller, create: NonNullable<WatchRequest__Output['create_request']>): string | undefined {
  try {
    guard.range(caller, create);
    return undefined;
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    // etcd answers every other auth failure as permission denied.
    const named = ['InvalidAuthToken', 'AuthOldRevision', 'UserEmpty'].includes(err.rpcName) ? err.rpcName : 'PermissionDenied';
    const { code, details } = toGrpcError(new AuthError(named as AuthError['rpcName']));
    return `rpc error: code = ${grpcCodeNames[code] ?? String(code)} desc = ${details}`;
  }
}

/** grpc-go's names of the codes a watch refusal carries. */
const grpcCodeNames: Partial<Record<number, string>> = { [status.INVALID_ARGUMENT]: 'InvalidArgument', [status.PERMISSION_DENIED]: 'PermissionDenied', [status.UNAUTHENTICATED]: 'Unauthenticated' };
