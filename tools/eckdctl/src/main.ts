// eckdctl: eckd's own services from the command line, without etcdctl
// (which knows only etcd's). Today: the conflicts a member recorded.
//
//   eckdctl conflicts [--endpoints host:port] [--limit N] [--key K] [--kind K] [-w table|json]
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { ConflictListResponse__Output } from '@eckd/etcd-proto';
import { conflictsJson, conflictsTable } from './format.js';
import type { ConflictsOptions } from './options.js';
import { parseOptions } from './options.js';

async function listConflicts(options: ConflictsOptions): Promise<ConflictListResponse__Output> {
  const { eckdserverpb } = loadEtcdGrpc().grpcObject;
  const client = new eckdserverpb.Conflicts(options.endpoints[0]!, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.List(
        { limit: options.limit, key: Buffer.from(options.key), kind: options.kind },
        { deadline: Date.now() + options.commandTimeoutMs },
        (err, response) => (err || !response ? reject(err ?? new Error('no response')) : resolve(response)),
      ),
    );
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const response = await listConflicts(options);
  process.stdout.write(options.output === 'json' ? conflictsJson(response) : conflictsTable(response));
}

main().catch((err: unknown) => {
  // etcdctl's shape: "Error: <message>" and exit status 1.
  const message = err instanceof Error ? ('details' in err && typeof err.details === 'string' ? err.details : err.message) : String(err);
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
});
