// The gateway's own connection to the frontend's gRPC server: the server
// also binds a Unix socket in a private (0700) temporary directory and the
// gateway calls it like any client, so every gateway request runs through
// the very handlers (and, later, checks) gRPC clients get. Messages pass
// as bytes: proto-json.ts encodes and decodes them.
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Loopback {
  readonly client: grpc.Client;
  /** closes the client and removes the socket's directory; the server's shutdown closes its end */
  close(): Promise<void>;
}

const passBytes = (b: Buffer) => b;

export const bytesSerialization = { serialize: passBytes, deserialize: passBytes };

export async function startLoopback(server: grpc.Server, maxResponseBytes: number): Promise<Loopback> {
  const dir = await mkdtemp(join(tmpdir(), 'eckd-gateway-'));
  const target = `unix:${join(dir, 'grpc.sock')}`;
  try {
    await new Promise<number>((resolve, reject) => server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    // The server's own send limit bounds replies; the client must not refuse what it sends.
    'grpc.max_receive_message_length': maxResponseBytes + 1024 * 1024,
    'grpc.enable_channelz': 0,
  });
  return {
    client,
    async close() {
      client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
