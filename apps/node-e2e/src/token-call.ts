// One unary etcd call with an auth token in the metadata, answered as the
// response or the error's details: what the auth specs compare.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';

/** `method` of `service` on `endpoint` with `token` (if any): the response, or the error's details. */
export function callWithToken(endpoint: string, service: 'Auth' | 'KV' | 'Cluster', method: string, req: unknown, token?: string): Promise<Record<string, unknown> | string> {
  const Client = loadEtcdGrpc().grpcObject.etcdserverpb[service];
  const client = new Client(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('token', token);
  return new Promise((resolve) => {
    // The method's own definition (path and codecs), through grpc-js's typed unary call.
    const def = Client.service[method];
    if (def === undefined) throw new Error(`token-call: ${service} has no method ${method}`);
    client.makeUnaryRequest<unknown, Record<string, unknown>>(def.path, def.requestSerialize, def.responseDeserialize, req, md, (err, res) => {
      client.close();
      resolve(err ? err.details : res!);
    });
  });
}
