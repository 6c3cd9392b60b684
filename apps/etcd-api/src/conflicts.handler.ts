// eckdserverpb.Conflicts, eckd's own service (docs/ARCHITECTURE.md §8.2):
// the values this member's backend saw lose to a concurrent write of another
// member. The backend keeps them; the frontend asks it and sets its header.
import { status } from '@grpc/grpc-js';
import { conflictKinds, conflictsCodecs, validated, validators } from '@eckd/change-codec';
import type { ConflictsReply } from '@eckd/change-codec';
import type { ConflictListRequest__Output, ConflictsHandlers } from '@eckd/etcd-proto';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { AuthGuard } from './auth/auth-guard.js';
import { responseHeader } from './header.js';
import type { Replica } from './replica.js';
import { EtcdRpcError, serviceError } from './to-grpc-error.js';
import { unary } from './unary.js';

export interface ConflictsDeps {
  replica: Replica;
  messenger: Messenger;
  subjects: { conflicts: string };
  requestTimeoutMs: number;
  /** the permission check: with auth enabled the conflicts (keys of every user) are root's */
  guard: AuthGuard;
  log: Logger;
}

export function conflictsHandlers(deps: ConflictsDeps): ConflictsHandlers {
  const list = unary('Conflicts.List', deps.log, async (request: ConflictListRequest__Output, caller) => {
    deps.guard.admin(caller);
    const reply = await askBackend(deps, request);
    return { ...reply, header: responseHeader(deps.replica, deps.replica.revision) };
  });
  return {
    List: (call, callback) => {
      const problem = requestProblem(call.request);
      if (problem) callback(serviceError(status.INVALID_ARGUMENT, `eckd: ${problem}`));
      else list(call, callback);
    },
  };
}

function requestProblem(request: ConflictListRequest__Output): string | undefined {
  if (Number(request.limit) < 0) return `limit ${request.limit} is negative`;
  if (request.kind !== '' && !conflictKinds.includes(request.kind)) return `unknown conflict kind "${request.kind}" (${conflictKinds.join(', ')})`;
  return undefined;
}

async function askBackend(deps: ConflictsDeps, request: ConflictListRequest__Output): Promise<NonNullable<ConflictsReply['list']>> {
  let reply: ConflictsReply;
  try {
    const msg = await deps.messenger.request(deps.subjects.conflicts, conflictsCodecs.conflictsRequest.encode({ list: request }), { timeoutMs: deps.requestTimeoutMs });
    reply = validated(conflictsCodecs.conflictsReply.decode(msg.data), validators.conflictsReply);
  } catch (err) {
    throw new EtcdRpcError('Timeout', `backend conflicts: ${(err as Error).message}`);
  }
  if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
  return reply.list ?? { conflicts: [], total_by_kind: {} };
}
