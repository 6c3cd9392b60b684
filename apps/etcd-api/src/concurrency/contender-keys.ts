// The keys and reads etcd's concurrency recipes are built of
// (ARCHITECTURE §5f): a contender's key under a name, and the first-created
// key under a prefix.
import type { KeyValue, MvccStore, RangeRequest } from '@eckd/mvcc';
import { prefixEnd } from '@eckd/mvcc';

/** `<name>/`: the prefix every contender of a name puts its key under. */
export function contenderPrefix(name: Buffer): Buffer {
  return Buffer.concat([name, Buffer.from('/')]);
}

/** `<name>/<lease in hex>`, the lease formatted as Go's %x formats an int64 (lower case, a minus sign when negative). */
export function contenderKey(prefix: Buffer, lease: string): Buffer {
  return Buffer.concat([prefix, Buffer.from(BigInt.asIntN(64, BigInt(lease)).toString(16))]);
}

/** The Range of the key created first under `prefix` (clientv3's WithFirstCreate). */
export function firstCreatedRange(prefix: Buffer): RangeRequest {
  return { key: prefix, range_end: prefixEnd(prefix), sort_target: 'CREATE', sort_order: 'ASCEND', limit: 1 };
}

/** The key created first under `prefix` on the replica as it is now. */
export function firstCreated(store: MvccStore, prefix: Buffer): KeyValue | undefined {
  return store.range(firstCreatedRange(prefix)).kvs[0];
}
