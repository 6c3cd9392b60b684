// Errors of the mvcc library. KvError carries the etcd error name
// (rpctypes) so that the frontend's single translation point can map it to
// etcd's exact gRPC code and message.
import type { RpcErrorName } from '@eckd/etcd-proto';

/** A subset of etcd's error table: a name etcd does not have fails to compile. */
export type KvErrorName = Extract<
  RpcErrorName,
  | 'EmptyKey'
  | 'KeyNotFound'
  | 'ValueProvided'
  | 'LeaseProvided'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'InvalidSortOption'
  | 'Compacted'
  | 'FutureRev'
  | 'LeaseNotFound'
  | 'LeaseExist'
  | 'LeaseTTLTooLarge'
  | 'RequestTooLarge'
>;

const kvErrorMessages: Readonly<Record<KvErrorName, string>> = {
  EmptyKey: 'mvcc: key is not provided',
  KeyNotFound: 'mvcc: key not found',
  ValueProvided: 'mvcc: value is provided',
  LeaseProvided: 'mvcc: lease is provided',
  TooManyOps: 'mvcc: too many operations in txn request',
  DuplicateKey: 'mvcc: duplicate key given in txn request',
  InvalidSortOption: 'mvcc: invalid sort option',
  Compacted: 'mvcc: required revision has been compacted',
  FutureRev: 'mvcc: required revision is a future revision',
  LeaseNotFound: 'mvcc: requested lease not found',
  LeaseExist: 'mvcc: lease already exists',
  LeaseTTLTooLarge: 'mvcc: too large lease TTL',
  RequestTooLarge: 'mvcc: request is too large',
};

/** An operating error of a KV request: the client gets etcd's matching error. */
export class KvError extends Error {
  override readonly name = 'KvError';
  readonly rpcName: KvErrorName;

  constructor(rpcName: KvErrorName, options?: ErrorOptions & { detail?: string }) {
    const detail = options?.detail === undefined ? '' : ` (${options.detail})`;
    super(kvErrorMessages[rpcName] + detail, options);
    this.rpcName = rpcName;
  }
}

/** A broken invariant (misuse or corrupted input from a trusted peer): a bug, not a client error. */
export class MvccInvariantError extends Error {
  override readonly name = 'MvccInvariantError';

  constructor(message: string, options?: ErrorOptions) {
    super(`mvcc: ${message}`, options);
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new MvccInvariantError(message);
}
