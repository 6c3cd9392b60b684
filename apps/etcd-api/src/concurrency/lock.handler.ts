// v3lockpb.Lock (ARCHITECTURE §5f): etcd's mutex recipe on the frontend.
// Lock puts `<name>/<lease hex>` with the lease and waits until every key
// created before it under `<name>/` is gone; Unlock deletes the key.
import type { LockHandlers, LockRequest__Output, LockResponse } from '@eckd/etcd-proto';
import { concurrencyCall, RecipeError, recipeErrors } from './concurrency-call.js';
import { contenderKey, contenderPrefix, firstCreatedRange } from './contender-keys.js';
import { deleteKey, linearizableRead, op, sessionLease, txn, waitForPredecessors } from './recipe-steps.js';
import type { RecipeCall, RecipeDeps } from './recipe-steps.js';

export function lockHandlers(deps: RecipeDeps): LockHandlers {
  return {
    Lock: concurrencyCall('Lock', deps.log, (req: LockRequest__Output, signal, caller) => lock({ ...deps, caller }, req, signal)),
    Unlock: concurrencyCall('Unlock', deps.log, async (req, _signal, caller) => ({ header: await deleteKey({ ...deps, caller }, req.key) })),
  };
}

async function lock(deps: RecipeCall, req: LockRequest__Output, signal: AbortSignal): Promise<LockResponse> {
  deps.waits.enter();
  try {
    const lease = await sessionLease(deps, req.lease);
    const prefix = contenderPrefix(req.name);
    const key = contenderKey(prefix, lease);
    const holder = op.get(firstCreatedRange(prefix));
    // Put the key unless it exists (the same lease locking again reuses it); read the holder either way.
    const claim = await txn(deps, {
      compare: [op.createdAt(key, 0)],
      success: [op.put(key, Buffer.alloc(0), lease), holder],
      failure: [op.get({ key }), holder],
    });
    const ownRevision = claim.succeeded ? claim.header.revision : Number(claim.kvs[0]?.create_revision ?? 0);
    const first = claim.kvs[1];
    if (!first || Number(first.create_revision) === ownRevision) return { header: claim.header, key };
    try {
      await waitForPredecessors(deps, prefix, ownRevision, signal);
    } catch (err) {
      // A waiter that gives up leaves no key behind to block the others (etcd's mutex deletes it too).
      await deleteKey(deps, key).catch(() => undefined);
      throw err;
    }
    // The lease may have ended while waiting: then the key is gone and the lock is not held (etcd 3.6).
    const { value: own, header } = await linearizableRead(deps, { key }, () => deps.replica.store.range({ key }).kvs[0]);
    if (!own) throw new RecipeError(recipeErrors.sessionExpired);
    return { header, key };
  } finally {
    deps.waits.leave();
  }
}
