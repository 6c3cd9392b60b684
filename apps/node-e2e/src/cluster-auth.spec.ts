// etcd's auth state replicates between members like keys (docs/ARCHITECTURE.md
// §5f): users, roles and the enabled flag written on one member are enforced
// by the others; a token is a member's own (another answers "invalid auth
// token" and the client authenticates there).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
});
