// Simple tokens live --auth-token-ttl after their last use on any frontend
// of the node (etcd's resetSimpleToken; docs/ARCHITECTURE.md §5g): a token
// kept in use on one frontend is accepted by another long after its TTL
// from issue, because the frontends share their uses (TokenUses); unused,
// it lapses on both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import { callWithToken } from './token-call.js';
import type { NodeFixture } from './fixture.js';

const ttlSeconds = 3;
let f: NodeFixture;
before(async () => {
  f = await startNodeFixture({ frontends: 2, frontendArgs: ['--auth-token-ttl', String(ttlSeconds)] });
});
after(async () => {
  await f?.stop();
});

/** One unary call on frontend `i` with `token` (if any): the response, or the error's details. */
const call = (i: number, service: 'Auth' | 'KV', method: string, req: unknown, token?: string) => callWithToken(f.node.endpoints[i]!, service, method, req, token);

const read = async (i: number, token: string) => {
  const res = await call(i, 'KV', 'Range', { key: Buffer.from('app/x') }, token);
  return typeof res === 'string' ? res : 'ok';
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('simple token lifetime across frontends', () => {
  test('a token used on one frontend lives on the other TTL after that use; unused, it lapses on both', { timeout: 120_000 }, async () => {
    const ep = f.node.endpoints[0]!;
    for (const args of [['user', 'add', 'root:rootpw'], ['user', 'grant-role', 'root', 'root'], ['user', 'add', 'alice:apw'], ['role', 'add', 'app'], ['role', 'grant-permission', 'app', 'read', '--prefix=true', 'app/'], ['user', 'grant-role', 'alice', 'app'], ['auth', 'enable']]) {
      const res = await etcdctl(ep, args);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    }
    const auth = await call(0, 'Auth', 'Authenticate', { name: 'alice', password: 'apw' });
    assert.equal(typeof auth, 'object', String(auth));
    const token = String((auth as Record<string, unknown>)['token']);
    const issued = Date.now();
    // Used on frontend 0 every second until twice the TTL has passed since issue.
    while (Date.now() - issued < 2 * ttlSeconds * 1000) {
      assert.equal(await read(0, token), 'ok');
      await sleep(1_000);
    }
    assert.equal(await read(1, token), 'ok', 'frontend 1 heard of the uses on frontend 0');
    await sleep((ttlSeconds + 2) * 1000);
    assert.equal(await read(1, token), 'etcdserver: invalid auth token');
    assert.equal(await read(0, token), 'etcdserver: invalid auth token');
  });
});
