// etcd's auth on a node with two frontends (docs/ARCHITECTURE.md §5g): the
// etcd3 client's user/role helpers and password auth, a simple token issued
// by one frontend accepted by the other, a password change voiding it, and
// the auth state surviving a restart while its tokens do not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { etcdctl } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import { callWithToken } from './token-call.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let admin: Etcd3;
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
  admin = new Etcd3({ hosts: `http://${f.node.endpoints[0]}` });
});
after(async () => {
  admin?.close();
  await f?.stop();
});

/** One unary call on frontend `i` with `token` (if any): the response, or the error's details. */
const call = (i: number, service: 'Auth' | 'KV' | 'Cluster', method: string, req: unknown, token?: string) => callWithToken(f.node.endpoints[i]!, service, method, req, token);

async function tokenOf(i: number, name: string, password: string): Promise<string> {
  const res = await call(i, 'Auth', 'Authenticate', { name, password });
  if (typeof res === 'string') throw new Error(`Authenticate: ${res}`);
  return String(res['token']);
}

describe('auth on a node', () => {
  test('the etcd3 client sets up users and roles, enables auth, and authenticates', { timeout: 60_000 }, async () => {
    await admin.user('root').create('rootpw');
    await admin.user('root').addRole('root');
    await admin.role('app').create();
    await admin.role('app').grant({ permission: 'Readwrite', range: admin.range({ prefix: 'app/' }) });
    await admin.user('alice').create('apw');
    await admin.user('alice').addRole('app');
    assert.deepEqual((await admin.user('alice').roles()).map((r) => r.name), ['app']);
    assert.deepEqual((await admin.role('app').permissions()).map((p) => p.permission), ['Readwrite']);
    await admin.auth.authEnable();

    const alice = new Etcd3({ hosts: `http://${f.node.endpoints[1]}`, auth: { username: 'alice', password: 'apw' } });
    try {
      await alice.put('app/x').value('1');
      assert.equal(await alice.get('app/x').string(), '1');
      await assert.rejects(async () => {
        await alice.put('other').value('1');
      }, /permission denied/);
    } finally {
      alice.close();
    }
    const anonymous = await etcdctl(f.node.endpoints[1]!, ['get', 'app/x']);
    assert.match(anonymous.stderr, /etcdserver: user name is empty/);
  });

  test('a simple token from one frontend works on the other; a password change voids it', { timeout: 60_000 }, async () => {
    const token = await tokenOf(0, 'alice', 'apw');
    const read = await call(1, 'KV', 'Range', { key: Buffer.from('app/x') }, token);
    assert.equal(typeof read, 'object');
    assert.equal(await call(1, 'KV', 'Range', { key: Buffer.from('other') }, token), 'etcdserver: permission denied');
    // Member changes are root's; listing members needs no user (etcd's checkMembershipOperationPermission).
    assert.equal(await call(1, 'Cluster', 'MemberRemove', { ID: '1' }, token), 'etcdserver: permission denied');
    assert.equal(typeof (await call(1, 'Cluster', 'MemberList', {})), 'object');
    const rootToken = await tokenOf(1, 'root', 'rootpw');
    assert.equal(await call(1, 'Cluster', 'MemberRemove', { ID: '1' }, rootToken), 'etcdserver: member not found');
    assert.equal(typeof (await call(1, 'Auth', 'UserChangePassword', { name: 'alice', password: 'apw2' }, rootToken)), 'object');
    assert.equal(await call(0, 'KV', 'Range', { key: Buffer.from('app/x') }, token), 'etcdserver: invalid auth token');
    assert.equal(await call(0, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' }), 'etcdserver: authentication failed, invalid user ID or password');
    await tokenOf(0, 'alice', 'apw2');
  });

  test('after a restart auth is still on with its users; tokens of before are forgotten', { timeout: 120_000 }, async () => {
    const token = await tokenOf(0, 'alice', 'apw2');
    await f.restartNode();
    assert.equal(await call(0, 'KV', 'Range', { key: Buffer.from('app/x') }, token), 'etcdserver: invalid auth token');
    assert.equal(await call(0, 'KV', 'Range', { key: Buffer.from('app/x') }), 'etcdserver: user name is empty');
    const fresh = await tokenOf(1, 'alice', 'apw2');
    const read = await call(0, 'KV', 'Range', { key: Buffer.from('app/x') }, fresh);
    assert.equal(typeof read === 'object' && (read['kvs'] as unknown[]).length, 1);
    const status = await call(0, 'Auth', 'AuthStatus', {}, fresh);
    assert.equal(typeof status === 'object' && status['enabled'], true);
  });
});
