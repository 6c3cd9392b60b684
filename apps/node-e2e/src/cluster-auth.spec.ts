// etcd's auth state replicates between members like keys (docs/ARCHITECTURE.md
// §5g): users, roles and the enabled flag written on one member are enforced
// by the others; a token is a member's own (another answers "invalid auth
// token" and the client authenticates there).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { etcdctl, startCluster, waitUntil } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const members = 2;
/** Pushes arrive within milliseconds and sync rounds run every 200 ms. */
const replicatedWithinMs = 15_000;

let cluster: Cluster;
before(async () => {
  const names = Array.from({ length: members }, (_, i) => `node${i + 1}`);
  cluster = await startCluster({ nodes: members, jetstream: false, nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }) });
}, { timeout: 120_000 });
after(async () => {
  await cluster?.stop();
});

const endpoint = (i: number) => cluster.members[i]!.endpoints[0]!;
const ctl = async (i: number, args: string[]) => {
  const r = await etcdctl(endpoint(i), args);
  return `${r.stdout}${r.stderr}`;
};

type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void) => void;

/** A unary Auth call on member `i`'s first frontend. */
function authCall(i: number, method: string, req: unknown, token?: string): Promise<Record<string, unknown>> {
  const client = new (loadEtcdGrpc().grpcObject.etcdserverpb.Auth)(endpoint(i), grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('token', token);
  return new Promise((resolve, reject) =>
    ((client as unknown as Record<string, Unary>)[method]!).call(client, req, md, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

async function authRevision(i: number): Promise<string> {
  const { token } = await authCall(i, 'Authenticate', { name: 'root', password: 'rootpw' });
  return String((await authCall(i, 'AuthStatus', {}, String(token)))['authRevision']);
}

describe('auth across members', () => {
  test('users, roles and enabling made on one member hold on the other', { timeout: 120_000 }, async () => {
    for (const args of [['user', 'add', 'root:rootpw'], ['user', 'add', 'bob:bpw'], ['role', 'add', 'r'], ['role', 'grant-permission', 'r', 'read', 'k'], ['user', 'grant-role', 'bob', 'r'], ['auth', 'enable']]) {
      assert.doesNotMatch(await ctl(0, args), /Error/, args.join(' '));
    }
    await waitUntil(async () => /user name is empty/.test(await ctl(1, ['get', 'k'])), replicatedWithinMs, 'auth enabled on the second member');
    assert.doesNotMatch(await ctl(1, ['--user', 'bob:bpw', 'get', 'k']), /Error/);
    assert.match(await ctl(1, ['--user', 'bob:bpw', 'put', 'k', 'v']), /permission denied/);
    assert.match(await ctl(1, ['--user', 'root:rootpw', 'role', 'get', 'r']), /\[k\]|k/);
  });

  test('concurrent auth changes on two members converge: both roles, one auth revision', { timeout: 120_000 }, async () => {
    const root = ['--user', 'root:rootpw'];
    await Promise.all([ctl(0, [...root, 'role', 'add', 'from-node1']), ctl(1, [...root, 'role', 'add', 'from-node2'])]);
    const roles = (i: number) => ctl(i, [...root, 'role', 'list']);
    await waitUntil(async () => (await roles(0)).includes('from-node2') && (await roles(1)).includes('from-node1'), replicatedWithinMs, 'both roles on both members');
    assert.equal(await roles(0), await roles(1));
    // Each member moved its auth revision for both changes; the members end on one value.
    await waitUntil(async () => (await authRevision(0)) === (await authRevision(1)), replicatedWithinMs, 'one auth revision');
  });
});
