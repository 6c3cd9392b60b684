// One unary etcd call with an auth token in the metadata, answered as the
// response or the error's details: what the auth specs compare.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';

type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void) => void;

/** `method` of `service` on `endpoint` with `token` (if any): the response, or the error's details. */
export function callWithToken(endpoint: string, service: 'Auth' | 'KV' | 'Cluster', method: string, req: unknown, token?: string): Promise<Record<string, unknown> | string> {
  const Client = loadEtcdGrpc().grpcObject.etcdserverpb[service];
  const client = new Client(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('token', token);
  return new Promise((resolve) => {
    ((client as unknown as Record<string, Unary>)[method]!).call(client, req, md, (err, res) => {
      client.close();
      resolve(err ? err.details : res!);
    });
  });
}
