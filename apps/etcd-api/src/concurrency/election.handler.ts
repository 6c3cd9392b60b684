// v3electionpb.Election (ARCHITECTURE §5f): etcd's election recipe on the
// frontend. A candidate puts `<name>/<lease hex>` with its value and leads
// once every key created before it under `<name>/` is gone; the leader key
// (name, key, create revision, lease) then proves leadership to Proclaim and
// Resign.
import type { CampaignRequest__Output, CampaignResponse, ElectionHandlers, LeaderKey__Output, LeaderResponse } from '@eckd/etcd-proto';
import type { NodeHeader } from '../header.js';
import { concurrencyCall, recipeGrpcError, RecipeError, recipeErrors } from './concurrency-call.js';
import { contenderKey, contenderPrefix, firstCreated, firstCreatedRange } from './contender-keys.js';
import { LeaderObserver } from './leader-observer.js';
import type { LeaderUpdate } from './leader-observer.js';
import { WaitsStopped } from './prefix-waits.js';
import type { PrefixWaiter } from './prefix-waits.js';
import { EtcdRpcError, toGrpcError } from '../to-grpc-error.js';
import { linearizableRead, op, sessionLease, txn, waitForPredecessors } from './recipe-steps.js';
import type { RecipeCall, RecipeDeps } from './recipe-steps.js';
import { callerOf } from '../auth/caller.js';
import { responseHeader } from '../header.js';

type LeaderRequest = Parameters<ElectionHandlers['Leader']>[0]['request'];

export function electionHandlers(deps: RecipeDeps): ElectionHandlers {
  const { log } = deps;
  return {
    Campaign: concurrencyCall('Campaign', log, (req: CampaignRequest__Output, signal, caller) => campaign({ ...deps, caller }, req, signal)),
    Proclaim: concurrencyCall('Proclaim', log, async (req, _signal, caller) => {
      const leader = required(req.leader);
      return { header: await proclaim({ ...deps, caller }, leader.key, Number(leader.rev), await sessionLease(deps, leader.lease), req.value) };
    }),
    Resign: concurrencyCall('Resign', log, async (req, _signal, caller) => {
      const leader = required(req.leader);
      return { header: await resign({ ...deps, caller }, leader.key, Number(leader.rev)) };
    }),
    Leader: concurrencyCall('Leader', log, (req, _signal, caller) => currentLeader({ ...deps, caller }, req)),
    Observe: (call) => observe(deps, call),
  };
}

function required(leader: LeaderKey__Output | null): LeaderKey__Output {
  if (!leader) throw new RecipeError(recipeErrors.missingLeader);
  return leader;
}

async function campaign(deps: RecipeCall, req: CampaignRequest__Output, signal: AbortSignal): Promise<CampaignResponse> {
  deps.waits.enter();
  try {
    const lease = await sessionLease(deps, req.lease);
    const prefix = contenderPrefix(req.name);
    const key = contenderKey(prefix, lease);
    const claim = await txn(deps, { compare: [op.createdAt(key, 0)], success: [op.put(key, req.value, lease)], failure: [op.get({ key })] });
    let rev = claim.header.revision;
    if (!claim.succeeded) {
      // Campaigning again with the same lease: the key stays, a new value is proclaimed.
      const own = claim.kvs[0];
      rev = Number(own?.create_revision ?? 0);
      if (!own || !Buffer.from(own.value).equals(req.value)) {
        try {
          await proclaim(deps, key, rev, lease, req.value);
        } catch (err) {
          await resign(deps, key, rev).catch(() => undefined);
          throw err;
        }
      }
    }
    try {
      await waitForPredecessors(deps, prefix, rev, signal);
    } catch (err) {
      // A candidate whose client gives up withdraws (etcd resigns on a cancelled context), as does one the frontend stops.
      if (signal.aborted || err instanceof WaitsStopped) await resign(deps, key, rev).catch(() => undefined);
      throw err;
    }
    return { header: claim.header, leader: { name: req.name, key, rev, lease } };
  } finally {
    deps.waits.leave();
  }
}

/** Puts `value` on the leader key if it is still the one created at `rev`; else `election: not leader`. */
async function proclaim(deps: RecipeCall, key: Buffer, rev: number, lease: string, value: Buffer): Promise<NodeHeader> {
  const { succeeded, header } = await txn(deps, { compare: [op.createdAt(key, rev)], success: [op.put(key, value, lease)] });
  if (!succeeded) throw new RecipeError(recipeErrors.notLeader);
  return header;
}

/** Deletes the leader key if it is still the one created at `rev` (no error when it is not). */
async function resign(deps: RecipeCall, key: Buffer, rev: number): Promise<NodeHeader> {
  return (await txn(deps, { compare: [op.createdAt(key, rev)], success: [op.del(key)] })).header;
}

async function currentLeader(deps: RecipeCall, req: LeaderRequest): Promise<LeaderResponse> {
  const { value: kv, header } = await linearizableRead(deps, firstCreatedRange(contenderPrefix(req.name)), () => firstCreated(deps.replica.store, contenderPrefix(req.name)));
  if (!kv) throw new RecipeError(recipeErrors.noLeader);
  return { header, kv };
}

/** A stream of leader changes until the client cancels it; it counts as an open call (ECKD_CONCURRENCY_WAITS_MAX). */
function observe(deps: RecipeDeps, call: Parameters<ElectionHandlers['Observe']>[0]): void {
  try {
    // etcd's Observe reads the election's prefix with the caller's token.
    deps.guard.range(callerOf(call), firstCreatedRange(contenderPrefix(call.request.name)));
    deps.waits.enter();
  } catch (err) {
    call.destroy(recipeGrpcError(err));
    return;
  }
  let observer: PrefixWaiter | undefined;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    if (observer) deps.waits.remove(observer);
    deps.waits.leave();
  };
  call.on('cancelled', close);
  call.on('close', close);
  // A client that stops reading holds its updates here; past ECKD_STREAM_QUEUED_BYTES_MAX
  // the stream ends with etcd's `too many requests` (clientv3 observes again).
  let queuedBytes = 0;
  call.on('drain', () => (queuedBytes = 0));
  const send = (update: LeaderUpdate) => {
    if (!open) return;
    if (call.write(update)) return;
    queuedBytes += update.kv.key.length + update.kv.value.length;
    if (queuedBytes <= deps.streamQueuedBytesMax) return;
    close();
    call.destroy(toGrpcError(new EtcdRpcError('TooManyRequests', 'Observe stream backed up past ECKD_STREAM_QUEUED_BYTES_MAX')));
  };
  deps.readIndex.linearizableBarrier().then(
    () => {
      if (!open) return;
      const leaders = new LeaderObserver(contenderPrefix(call.request.name), deps.replica, (revision) => responseHeader(deps.replica, revision), send);
      observer = {
        prefix: leaders.prefix,
        revision: (patch, keys) => leaders.revision(patch, keys),
        resynced: () => leaders.resynced(),
        stopped: (err) => {
          close();
          call.destroy(recipeGrpcError(err));
        },
      };
      deps.waits.add(observer);
      leaders.lookUp();
    },
    (err) => {
      close();
      call.destroy(recipeGrpcError(err));
    },
  );
}
