// etcd refuses a write whose serialized raft request is larger than
// --max-request-bytes (etcd v3_server.go): InternalRaftRequest{header{ID},
// <op>} in Go's encoding. eckd measures the same message, so the limit falls
// on the same byte as etcd's.
import { etcdMessageBytes, varintBytes } from '@eckd/etcd-proto';

/** InternalRaftRequest field numbers of the ops, and of its header. */
const raftFields = { range: 3, put: 4, delete_range: 5, txn: 6, compaction: 7 } as const;
const requestHeaderField = 100;
const opTypes = {
  put: 'etcdserverpb.PutRequest',
  delete_range: 'etcdserverpb.DeleteRangeRequest',
  txn: 'etcdserverpb.TxnRequest',
  compaction: 'etcdserverpb.CompactionRequest',
} as const;

/**
 * etcd's request ids put the member id in the top bits, so the id is a
 * 64-bit varint of 10 bytes (9 when its top bit is clear): RequestHeader is
 * tag + 10 bytes, wrapped in a 2-byte tag (field 100) and a length byte.
 */
const headerBytes = varintBytes(requestHeaderField << 3) + 1 + 1 + 10;

export function raftRequestBytes(kind: keyof typeof opTypes, request: object): number {
  const inner = etcdMessageBytes(opTypes[kind], request);
  return headerBytes + varintBytes(raftFields[kind] << 3) + varintBytes(inner) + inner;
}
