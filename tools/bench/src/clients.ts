// gRPC connections to the endpoints, one TCP connection per client object.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, LeaseClient, WatchClient } from '@eckd/etcd-proto';

// A local subchannel pool gives every client its own TCP connection, even
// to the same endpoint.
const channelOptions = { 'grpc.use_local_subchannel_pool': 1 };

export interface Connection {
  kv: KVClient;
  watch: WatchClient;
  lease: LeaseClient;
  close(): void;
}

export function connect(endpoints: string[], count: number): Connection[] {
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  return Array.from({ length: count }, (_, i) => {
    const address = endpoints[i % endpoints.length]!;
    const creds = grpc.credentials.createInsecure();
    const kv = new etcdserverpb.KV(address, creds, channelOptions);
    const watch = new etcdserverpb.Watch(address, creds, channelOptions);
    const lease = new etcdserverpb.Lease(address, creds, channelOptions);
    return { kv, watch, lease, close: () => [kv, watch, lease].forEach((c) => c.close()) };
  });
}
