// The two servers under comparison: a real etcd 3.4.23 and one eckd node
// (its own NATS server and Postgres database), each reached through raw
// gRPC clients built from the project's protos, so every request goes out
// exactly as a scenario wrote it.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient } from '@eckd/etcd-proto';
import { createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { EckdNode, EtcdServer, NatsServer, TestDatabase } from '@eckd/testing';

export type ServerName = 'etcd' | 'eckd';

/** One server as the interpreter sees it. */
export interface Target {
  readonly name: ServerName;
  /** host:port of its gRPC endpoint */
  readonly address: string;
  readonly kv: KVClient;
}

export interface ServerPair {
  readonly etcd: Target;
  readonly eckd: Target;
  stop(): Promise<void>;
}

// Big enough for the 2 MiB request-size scenarios in both directions.
const clientOptions: grpc.ChannelOptions = {
  'grpc.max_send_message_length': 8 * 1024 * 1024,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};

function target(name: ServerName, address: string): Target {
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  const kv = new etcdserverpb.KV(address, grpc.credentials.createInsecure(), clientOptions);
  return { name, address, kv };
}

interface EckdParts {
  nats?: NatsServer;
  db?: TestDatabase;
  node?: EckdNode;
}

async function stopEckd(parts: EckdParts): Promise<void> {
  await parts.node?.stop();
  await Promise.allSettled([parts.nats?.stop(), parts.db?.drop()]);
}

async function startEckd(parts: EckdParts): Promise<EckdNode> {
  parts.nats = await startNatsServer();
  parts.db = await createTestDatabase();
  parts.node = await startNode({
    natsUrl: parts.nats.url,
    databaseUrl: parts.db.url,
    subjectPrefix: subjectPrefix(),
    nodeName: 'conformance',
  });
  return parts.node;
}

/** Starts etcd and an eckd node side by side; stop() releases everything. */
export async function startServers(): Promise<ServerPair> {
  const parts: EckdParts = {};
  let etcd: EtcdServer | undefined;
  try {
    const [etcdServer, node] = await Promise.all([startEtcd({ name: 'conformance' }).then((s) => (etcd = s)), startEckd(parts)]);
    const pair = [target('etcd', `127.0.0.1:${etcdServer.clientPort}`), target('eckd', node.endpoints[0]!)] as const;
    const stop = async () => {
      for (const t of pair) t.kv.close();
      await Promise.allSettled([etcdServer.stop(), stopEckd(parts)]);
    };
    return { etcd: pair[0], eckd: pair[1], stop };
  } catch (err) {
    await Promise.allSettled([etcd?.stop(), stopEckd(parts)]);
    throw err;
  }
}
