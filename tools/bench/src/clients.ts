// Connections to the endpoints (one HTTP/2 session each, round robin over
// the endpoints) and the etcd requests, encoded with etcd's own protos.
import { etcdProtoRoot } from '@eckd/etcd-proto';
import { GrpcConnection, grpcFrame } from './grpc-h2.js';

export type Connection = GrpcConnection;

export function connect(endpoints: string[], count: number): Connection[] {
  return Array.from({ length: count }, (_, i) => new GrpcConnection(endpoints[i % endpoints.length]!));
}

/** gRPC paths of the calls the workloads make. */
export const paths = {
  range: '/etcdserverpb.KV/Range',
  put: '/etcdserverpb.KV/Put',
  txn: '/etcdserverpb.KV/Txn',
  compact: '/etcdserverpb.KV/Compact',
  watch: '/etcdserverpb.Watch/Watch',
  leaseGrant: '/etcdserverpb.Lease/LeaseGrant',
  leaseRevoke: '/etcdserverpb.Lease/LeaseRevoke',
  leaseKeepAlive: '/etcdserverpb.Lease/LeaseKeepAlive',
  lock: '/v3lockpb.Lock/Lock',
  unlock: '/v3lockpb.Lock/Unlock',
  authenticate: '/etcdserverpb.Auth/Authenticate',
} as const;

/** etcd benchmark's --user name:password: one Authenticate, its token on every connection. */
export async function authenticate(conns: Connection[], user: string): Promise<void> {
  const colon = user.indexOf(':');
  const [name, password] = colon < 0 ? [user, ''] : [user.slice(0, colon), user.slice(colon + 1)];
  const reply = await new Promise<Buffer>((resolve, reject) =>
    conns[0]!.unary(paths.authenticate, encodeRequest('AuthenticateRequest', { name, password }), (err, r) => (err ? reject(err) : resolve(r!))),
  );
  const token = String(decodeMessage('AuthenticateResponse', reply)['token']);
  for (const c of conns) c.useToken(token);
}

/** Encodes an etcdserverpb message, or another package's by its full name (enums by name, int64 as number or string). */
export function encodeMessage(typeName: string, message: Record<string, unknown>): Uint8Array {
  const type = etcdProtoRoot().lookupType(typeName.includes('.') ? typeName : `etcdserverpb.${typeName}`);
  return type.encode(type.fromObject(message)).finish();
}

/** The same, framed for a unary call. */
export function encodeRequest(typeName: string, message: Record<string, unknown>): Buffer {
  return grpcFrame(encodeMessage(typeName, message));
}

/** Decodes an etcdserverpb message whole (int64 as Long), for the rare reply a workload reads in full. */
export function decodeMessage(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = etcdProtoRoot().lookupType(`etcdserverpb.${typeName}`);
  return type.toObject(type.decode(bytes), { defaults: true });
}
