import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Options } from '@grpc/proto-loader';

// Resolved through the package name rather than import.meta.url so that the
// path stays right when this lib is inlined into an app bundle (dist/main.js).
const packageJsonPath = createRequire(import.meta.url).resolve('@eckd/etcd-proto/package.json');

/** Absolute path of `libs/etcd-proto/proto`, the include root of the etcd protos. */
export const protoDir: string = join(dirname(packageJsonPath), 'proto');

/** The five etcd proto files, relative to `protoDir`. */
export const etcdProtoFiles: readonly string[] = Object.freeze([
  'etcdserverpb/rpc.proto',
  'mvccpb/kv.proto',
  'authpb/auth.proto',
  'v3lockpb/v3lock.proto',
  'v3electionpb/v3election.proto',
]);

/** eckd's own service protos (not etcd's), relative to `protoDir`. */
export const eckdProtoFiles: readonly string[] = Object.freeze(['eckdserverpb/conflicts.proto']);

/**
 * proto-loader options matching the generated types: int64 as decimal
 * strings, enums as names, bytes as Buffers, defaults filled, oneof names set.
 */
export const protoLoaderOptions: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
});
