// The KV steps Lock and Election are made of (ARCHITECTURE §5f), each on
// the frontend's own paths: writes through the KV handler's write path
// (proposer, acknowledger), reads from the replica after the linearizable
// read barrier, waiting on the replica's applied revisions (prefix-waits).
import type { Sent } from '@eckd/change-codec';
import type { RequestOp__Output } from '@eckd/etcd-proto';
import { checkDeleteRangeRequest } from '@eckd/mvcc';
import type { KeyValue, RangeRequest } from '@eckd/mvcc';
import { proposeWithHeader, responseHeader } from '../header.js';
import type { NodeHeader } from '../header.js';
import { write } from '../kv.handler.js';
import type { KvDeps } from '../kv.handler.js';
import { raftRequestBytes } from '../request-size.js';
import { EtcdRpcError } from '../to-grpc-error.js';
import type { Caller } from '../auth/caller.js';
import { firstCreated, firstCreatedRange } from './contender-keys.js';
import type { PrefixWaits } from './prefix-waits.js';

export interface RecipeDeps extends KvDeps {
  waits: PrefixWaits;
  /** ECKD_STREAM_QUEUED_BYTES_MAX: what an Observe stream may hold for a client that does not read */
  streamQueuedBytesMax: number;
}

/**
 * One call's view of the deps: every KV step is checked against the
 * caller's permissions, as etcd's server runs the recipes through a client
 * carrying the caller's token (auth/auth-guard.ts).
 */
export interface RecipeCall extends RecipeDeps {
  caller: Caller;
}

type KeyRange = { key?: Uint8Array | null; range_end?: Uint8Array | null };

type SentTxn = NonNullable<Sent<RequestOp__Output>['request_txn']>;
type SentOp = NonNullable<SentTxn['success']>[number];

/** etcd's concurrency.Session TTL, granted when a call names lease 0. */
const sessionTtlSeconds = 60;
/** What a lease grant is estimated to take in a proposal batch (as lease.handler's). */
const leaseProposalBytes = 32;

/** The call's lease: its own, or for 0 a new lease of 60 s, as etcd's server makes a session. */
export async function sessionLease(deps: RecipeDeps, lease: string): Promise<string> {
  if (BigInt(lease) !== 0n) return lease;
  const { result } = await proposeWithHeader(deps, { op: 'lease_grant', lease_grant: { ID: '0', TTL: String(sessionTtlSeconds) } }, leaseProposalBytes);
  return String(result.lease_grant?.ID ?? '0');
}

export const op = {
  put: (key: Buffer, value: Buffer, lease: string): SentOp => ({ request: 'request_put', request_put: { key, value, lease } }),
  get: (range: RangeRequest): SentOp => ({ request: 'request_range', request_range: range as SentOp['request_range'] }),
  del: (key: Buffer): SentOp => ({ request: 'request_delete_range', request_delete_range: { key } }),
  /** compare: the key's create_revision equals `revision` (0: the key does not exist) */
  createdAt: (key: Buffer, revision: number): NonNullable<SentTxn['compare']>[number] => ({
    key,
    target: 'CREATE',
    result: 'EQUAL',
    target_union: 'create_revision',
    create_revision: String(revision),
  }),
};

export interface TxnOutcome {
  succeeded: boolean;
  /** each op's first kv, for the ranges of the branch taken */
  kvs: (KeyValue | undefined)[];
  header: NodeHeader;
}

/** A Txn through the KV write path. */
export async function txn(deps: RecipeCall, req: SentTxn): Promise<TxnOutcome> {
  const authRevision = deps.guard.txn(deps.caller, req);
  const { response, header } = await write(deps, { request: 'request_txn', request_txn: req }, raftRequestBytes('txn', req), authRevision);
  const body = response.response_txn;
  const kvs = (body?.responses ?? []).map((r) => r.response_range?.kvs?.[0] as KeyValue | undefined);
  return { succeeded: body?.succeeded === true, kvs, header };
}

/** A DeleteRange of one key through the KV write path; its header. */
export async function deleteKey(deps: RecipeCall, key: Buffer): Promise<NodeHeader> {
  const request = { key };
  checkDeleteRangeRequest(request);
  const authRevision = deps.guard.deleteRange(deps.caller, request);
  return (await write(deps, { request: 'request_delete_range', request_delete_range: request }, raftRequestBytes('delete_range', request), authRevision)).header;
}

/** A linearizable read of `range` on the replica, with the header of the revision it read. */
export async function linearizableRead<T>(deps: RecipeCall, range: KeyRange, read: () => T): Promise<{ value: T; header: NodeHeader }> {
  deps.guard.range(deps.caller, range);
  await deps.readIndex.linearizableBarrier();
  return { value: read(), header: responseHeader(deps.replica, deps.replica.revision) };
}

/**
 * Resolves once no key under `prefix` was created before `ownRevision`
 * (every earlier contender is gone); rejects with etcd's `request
 * canceled` when `signal` aborts first. A revision only ever removes such
 * keys (a new key's create_revision is higher), so the check looks at the
 * replica's state, after each revision that deletes under the prefix.
 * When the frontend shuts down it rejects with etcd's `server stopped`.
 */
export async function waitForPredecessors(deps: RecipeCall, prefix: Buffer, ownRevision: number, signal: AbortSignal): Promise<void> {
  deps.guard.range(deps.caller, firstCreatedRange(prefix));
  await deps.readIndex.linearizableBarrier();
  const { replica, waits } = deps;
  const predecessorLeft = () => {
    const first = firstCreated(replica.store, prefix);
    return first !== undefined && first.create_revision < ownRevision;
  };
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new EtcdRpcError('Canceled'));
    if (!predecessorLeft()) return resolve();
    const settle = (err?: Error) => {
      waits.remove(waiter);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (!predecessorLeft()) settle();
    };
    const onAbort = () => settle(new EtcdRpcError('Canceled'));
    const waiter = {
      prefix: prefix.toString('latin1'),
      revision: (patch: { events: readonly { type: string }[] }) => {
        if (patch.events.some((e) => e.type === 'DELETE')) check();
      },
      resynced: check,
      stopped: settle,
    };
    waits.add(waiter);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
