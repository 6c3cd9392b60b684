// The two servers under comparison: a real etcd 3.4.23 and one eckd node
// (its own NATS server and Postgres database), each reached through raw
// gRPC clients built from the project's protos, so every request goes out
// exactly as a scenario wrote it.
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, LeaseClient, WatchClient } from '@eckd/etcd-proto';
import { createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { EckdNode, EtcdServer, NatsServer, TestDatabase } from '@eckd/testing';
import { startFrontendWithFlags } from './watch-frontend.js';
import type { ExtraFrontend } from './watch-frontend.js';

export type ServerName = 'etcd' | 'eckd';

/** One server as the interpreter sees it. */
export interface Target {
  readonly name: ServerName;
  /** host:port of its gRPC endpoint */
  readonly address: string;
  readonly kv: KVClient;
  readonly watch: WatchClient;
  readonly lease: LeaseClient;
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
  const watch = new etcdserverpb.Watch(address, grpc.credentials.createInsecure(), clientOptions);
  const lease = new etcdserverpb.Lease(address, grpc.credentials.createInsecure(), clientOptions);
  return { name, address, kv, watch, lease };
}

interface EckdParts {
  nats?: NatsServer;
  db?: TestDatabase;
  node?: EckdNode;
  frontend?: ExtraFrontend;
}

async function stopEckd(parts: EckdParts): Promise<void> {
  await parts.frontend?.stop();
  await parts.node?.stop();
  await Promise.allSettled([parts.nats?.stop(), parts.db?.drop()]);
}

/** Flags for the two servers, e.g. a short progress-notify interval. */
export interface ServerOptions {
  /** extra etcd flags */
  etcdArgs?: readonly string[];
  /** extra etcd-api flags: the eckd target is then a frontend started with them (watch-frontend.ts) */
  eckdFrontendArgs?: readonly string[];
}

async function startEckd(parts: EckdParts, opts: ServerOptions): Promise<string> {
  parts.nats = await startNatsServer();
  parts.db = await createTestDatabase();
  const nodeOpts = { natsUrl: parts.nats.url, databaseUrl: parts.db.url, subjectPrefix: subjectPrefix(), nodeName: 'conformance' };
  parts.node = await startNode(nodeOpts);
  if (!opts.eckdFrontendArgs) return parts.node.endpoints[0]!;
  parts.frontend = await startFrontendWithFlags(nodeOpts, opts.eckdFrontendArgs);
  return parts.frontend.endpoint;
}

/** Starts etcd and an eckd node side by side; stop() releases everything. */
export async function startServers(opts: ServerOptions = {}): Promise<ServerPair> {
  const parts: EckdParts = {};
  let etcd: EtcdServer | undefined;
  try {
    const etcdOpts = { name: 'conformance', args: opts.etcdArgs ?? [] };
    const [etcdServer, eckdAddress] = await Promise.all([startEtcd(etcdOpts).then((s) => (etcd = s)), startEckd(parts, opts)]);
    const pair = [target('etcd', `127.0.0.1:${etcdServer.clientPort}`), target('eckd', eckdAddress)] as const;
    const stop = async () => {
      for (const t of pair) {
        t.kv.close();
        t.watch.close();
        t.lease.close();
      }
      await Promise.allSettled([etcdServer.stop(), stopEckd(parts)]);
    };
    return { etcd: pair[0], eckd: pair[1], stop };
  } catch (err) {
    await Promise.allSettled([etcd?.stop(), stopEckd(parts)]);
    throw err;
  }
}
