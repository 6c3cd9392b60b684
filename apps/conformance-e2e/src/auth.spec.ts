// etcd's authentication and RBAC, the same steps against etcd and eckd
// (docs/ARCHITECTURE.md §5g): etcdctl's user, role and auth commands with
// their outputs and errors, permission checks on get/put/del/txn/watch,
// simple-token expiry, forged tokens, JWT (signed by the configured key and
// by another one, and old after an auth change), and a permission revoked
// while a watch is open. Both servers run with a 2 s simple-token TTL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { etcdctl } from '@eckd/testing';
import { callUnary } from './harness/rpc.js';
import type { Outcome } from './harness/rpc.js';
import { startServers } from './harness/servers.js';
import type { ServerPair } from './harness/servers.js';

const names = ['etcd', 'eckd'] as const;
type Name = (typeof names)[number];

/** etcdctl's answer without clientv3's retry log lines (timestamps, client ids). */
async function ctl(address: string, args: string[]): Promise<string> {
  const r = await etcdctl(address, args);
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !l.startsWith('{"level"'))
    .join('\n');
  return `${r.code}\n${r.stdout}${stderr}`.trim();
}

function client(address: string, service: 'Auth' | 'KV' | 'Watch') {
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  return new etcdserverpb[service](address, grpc.credentials.createInsecure());
}

const withToken = (token: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  m.set('token', token);
  return m;
};

const errorOf = (o: Outcome): string => ('error' in o ? o.error.details : 'ok');

async function tokenOf(address: string, name: string, password: string): Promise<string> {
  const auth = client(address, 'Auth');
  try {
    const o = await callUnary(auth, 'Authenticate', { name, password });
    if ('error' in o) throw new Error(`Authenticate ${name}: ${o.error.details}`);
    return String(o.response['token']);
  } finally {
    auth.close();
  }
}

/** The first response of a Watch stream created with `token` on [key, rangeEnd), and the next one after `then` runs. */
async function watchResponses(address: string, token: string, key: string, then?: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const watch = client(address, 'Watch');
  const stream = (watch as unknown as { Watch(md: grpc.Metadata): grpc.ClientDuplexStream<unknown, Record<string, unknown>> }).Watch(withToken(token));
  const got: Record<string, unknown>[] = [];
  const want = then ? 2 : 1;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (r: Record<string, unknown>) => {
      got.push(r);
      if (got.length === 1 && then) void then().catch(reject);
      if (got.length >= want) resolve();
    });
    stream.on('error', reject);
  });
  stream.write({ create_request: { key: Buffer.from(key) } });
  await done;
  stream.cancel();
  watch.close();
  return got.map((r) => ({ created: r['created'], canceled: r['canceled'], cancel_reason: r['cancel_reason'], watch_id: String(r['watch_id']), events: ((r['events'] as { kv: { key: Buffer } }[]) ?? []).map((e) => e.kv.key.toString()) }));
}

describe('conformance: auth with simple tokens (etcdctl and gRPC)', () => {
  let servers: ServerPair;
  const address = (n: Name) => servers[n].address;
  /** Runs etcdctl with `args` on both and asserts the same answer; returns it. */
  const same = async (args: string[]): Promise<string> => {
    const [a, b] = await Promise.all(names.map((n) => ctl(address(n), args)));
    assert.equal(b, a, `etcdctl ${args.join(' ')}`);
    return a!;
  };
  /**
   * eckd's AuthStatus (etcd 3.5+; etcd 3.4 answers UNIMPLEMENTED and etcdctl
   * 3.4 has no `auth status`, so the revision is asserted against etcd's
   * rule rather than compared); root's token when auth is on.
   */
  const status = async (asRoot = false): Promise<{ enabled: unknown; authRevision: unknown }> => {
    const auth = client(address('eckd'), 'Auth');
    try {
      const o = await callUnary(auth, 'AuthStatus', {}, asRoot ? withToken(await tokenOf(address('eckd'), 'root', 'rootpw')) : undefined);
      if ('error' in o) throw new Error(`AuthStatus: ${o.error.details}`);
      return { enabled: o.response['enabled'], authRevision: String(o.response['authRevision']) };
    } finally {
      auth.close();
    }
  };
  const root = ['--user', 'root:rootpw'];
  const alice = ['--user', 'alice:apw'];

  before(async () => {
    servers = await startServers({ etcdArgs: ['--auth-token-ttl=2'], eckdFrontendArgs: ['--auth-token-ttl=2'] });
  }, { timeout: 90_000 });
  after(async () => {
    await servers?.stop();
  });

  test('enable without root, user and role CRUD, grants', { timeout: 120_000 }, async () => {
    assert.deepEqual(await status(), { enabled: false, authRevision: '1' });
    assert.match(await same(['auth', 'enable']), /root user does not exist/);
    await same(['user', 'add', 'root:rootpw']);
    await same(['user', 'add', 'root:other']);
    await same(['user', 'add', 'alice:apw']);
    await same(['user', 'add', 'nopw', '--no-password']);
    await same(['role', 'add', 'r1']);
    await same(['role', 'add', 'r1']);
    await same(['role', 'add', 'r2']);
    await same(['role', 'grant-permission', 'r1', 'readwrite', 'foo']);
    await same(['role', 'grant-permission', 'r1', 'read', '--prefix=true', 'pre/']);
    await same(['role', 'grant-permission', 'r1', 'write', 'a', 'c']);
    await same(['role', 'grant-permission', 'r2', 'read', '--from-key', 'z']);
    await same(['role', 'grant-permission', 'nope', 'read', 'k']);
    await same(['user', 'grant-role', 'alice', 'r1']);
    await same(['user', 'grant-role', 'alice', 'r2']);
    await same(['user', 'grant-role', 'alice', 'nope']);
    await same(['user', 'grant-role', 'ghost', 'r1']);
    await same(['user', 'revoke-role', 'alice', 'r2']);
    await same(['user', 'revoke-role', 'alice', 'r2']);
    await same(['role', 'revoke-permission', 'r2', 'z']);
    await same(['role', 'revoke-permission', 'r2', '--from-key', 'z']);
    await same(['user', 'list']);
    await same(['role', 'list']);
    await same(['user', 'get', 'alice']);
    await same(['role', 'get', 'r1']);
    await same(['user', 'delete', 'ghost']);
    await same(['role', 'delete', 'r2']);
    // One revision per change that etcd made (the refused ones and the no-op grant of a granted role make none): 1 + 14.
    assert.deepEqual(await status(), { enabled: false, authRevision: '15' });
    // etcdctl 3.4 grants the root role to root itself when enabling finds it missing.
    assert.match(await same(['auth', 'enable']), /Authentication Enabled/);
    // Enabling moves no revision; the root role etcdctl adds and grants make two.
    assert.deepEqual(await status(true), { enabled: true, authRevision: '17' });
    await same(['auth', 'enable']);
  });

  test('every request checked: no user, bad password, permission denied on get/put/del/txn', { timeout: 120_000 }, async () => {
    assert.match(await same(['get', 'foo']), /etcdserver: user name is empty/);
    assert.match(await same(['put', 'foo', 'x']), /etcdserver: user name is empty/);
    assert.match(await same(['--user', 'alice:wrong', 'get', 'foo']), /authentication failed, invalid user ID or password/);
    // etcd has no gRPC error for it: UNKNOWN with the auth package's text.
    assert.match(await same(['--user', 'nopw:any', 'get', 'foo']), /code = Unknown desc = auth: authentication failed, password was given for no password user/);
    await same([...alice, 'put', 'foo', 'bar']);
    await same([...alice, 'get', 'foo']);
    await same([...alice, 'put', 'foo', 'baz', '--prev-kv']);
    assert.match(await same([...alice, 'put', 'other', 'x']), /etcdserver: permission denied/);
    assert.match(await same([...alice, 'put', 'pre/a', '1']), /etcdserver: permission denied/);
    await same([...root, 'put', 'pre/a', '1']);
    await same([...alice, 'get', '--prefix', 'pre/']);
    assert.match(await same([...alice, 'get', '--prefix', 'p']), /etcdserver: permission denied/);
    await same([...alice, 'put', 'b', '1']);
    assert.match(await same([...alice, 'put', 'b', '2', '--prev-kv']), /etcdserver: permission denied/);
    assert.match(await same([...alice, 'get', 'b']), /etcdserver: permission denied/);
    await same([...alice, 'del', 'a', 'c']);
    assert.match(await same([...alice, 'del', 'a', 'd']), /etcdserver: permission denied/);
    assert.match(await same([...alice, 'del', 'b', '--prev-kv']), /etcdserver: permission denied/);
    const txn = async (input: string) => {
      const outs = await Promise.all(names.map(async (n) => (await etcdctl(address(n), [...alice, 'txn', '-i'], { input })).stderr.split('\n').filter((l) => !l.startsWith('{"level"')).join('\n')));
      assert.equal(outs[1], outs[0], input);
      return outs[0]!;
    };
    assert.equal(await txn('value("foo") = "baz"\n\nput foo v2\n\nget foo\n\n\n'), '');
    assert.match(await txn('value("other") = "x"\n\nput foo v3\n\n\n\n'), /permission denied/);
    assert.match(await txn('value("foo") = "v2"\n\nput other v3\n\n\n\n'), /permission denied/);
    assert.match(await txn('value("foo") = "v2"\n\nput foo v4\n\nget pre/ --prefix\n\n'), /^$/);
    assert.match(await same([...alice, 'user', 'list']), /etcdserver: permission denied/);
    await same([...alice, 'user', 'get', 'alice']);
    await same([...alice, 'role', 'get', 'r1']);
    assert.match(await same([...alice, 'role', 'get', 'root']), /etcdserver: permission denied/);
    assert.match(await same([...alice, 'user', 'add', 'mallory:x']), /etcdserver: permission denied/);
    assert.match(await same([...root, 'user', 'revoke-role', 'root', 'root']), /invalid auth management/);
    assert.match(await same([...root, 'role', 'delete', 'root']), /invalid auth management/);
    assert.match(await same([...root, 'user', 'delete', 'root']), /invalid auth management/);
  });

  test('a put with a lease needs write on the keys already attached to it, revoking it too; TimeToLive read (3.5+)', { timeout: 60_000 }, async () => {
    const outcomes = await Promise.all(
      names.map(async (n) => {
        const granted = await ctl(address(n), [...root, 'lease', 'grant', '600']);
        const id = /lease ([0-9a-f]+) granted/.exec(granted)?.[1];
        assert.ok(id, granted);
        const own = await ctl(address(n), [...alice, 'put', 'foo', 'leased', `--lease=${id}`]);
        await ctl(address(n), [...root, 'put', 'other', 'leased', `--lease=${id}`]);
        const foreign = await ctl(address(n), [...alice, 'put', 'foo', 'again', `--lease=${id}`]);
        const revoke = await ctl(address(n), [...alice, 'lease', 'revoke', id]);
        const ttl = await ctl(address(n), [...alice, 'lease', 'timetolive', id]);
        await ctl(address(n), [...root, 'lease', 'revoke', id]);
        return { same: { own, foreign, revoke }, ttlDenied: ttl.includes('permission denied') };
      }),
    );
    assert.deepEqual(outcomes[1]!.same, outcomes[0]!.same);
    assert.match(outcomes[0]!.same.foreign, /permission denied/);
    assert.match(outcomes[0]!.same.revoke, /permission denied/);
    // LeaseTimeToLive checks read on the lease's keys from etcd 3.5 on (checkLeaseTimeToLive); 3.4 answers anyone.
    assert.deepEqual(outcomes.map((o) => o.ttlDenied), [false, true]);
  });

  test('AuthStatus: etcd 3.4 has none (UNIMPLEMENTED), eckd answers as 3.6', async () => {
    const auth = client(address('etcd'), 'Auth');
    try {
      const o = await callUnary(auth, 'AuthStatus', {});
      assert.ok('error' in o && o.error.code === grpc.status.UNIMPLEMENTED);
    } finally {
      auth.close();
    }
  });

  test('Compact: any user in etcd 3.4, root only in 3.6 (eckd follows 3.6)', async () => {
    const [etcd, eckd] = await Promise.all(names.map((n) => ctl(address(n), [...alice, 'compaction', '1'])));
    assert.equal(etcd, '0\ncompacted revision 1');
    assert.equal(eckd, '1\nError: etcdserver: permission denied');
  });

  test('role get root: etcd 3.6 lists the root permission, 3.4 none (eckd follows 3.6)', async () => {
    const [etcd, eckd] = await Promise.all(names.map((n) => ctl(address(n), [...root, 'role', 'get', 'root'])));
    assert.equal(etcd, '0\nRole root\nKV Read:\nKV Write:');
    assert.equal(eckd, '0\nRole root\nKV Read:\n\t[, <open ended> (prefix )\nKV Write:\n\t[, <open ended> (prefix )');
  });

  test('watch: refused at create without read permission; a permission revoked while it is open does not stop it', { timeout: 60_000 }, async () => {
    const results = await Promise.all(
      names.map(async (n) => {
        const token = await tokenOf(address(n), 'alice', 'apw');
        const denied = await watchResponses(address(n), token, 'other');
        const revokedWhileOpen = await watchResponses(address(n), token, 'foo', async () => {
          await ctl(address(n), [...root, 'role', 'revoke-permission', 'r1', 'foo']);
          await ctl(address(n), [...root, 'put', 'foo', 'after-revoke']);
        });
        await ctl(address(n), [...root, 'role', 'grant-permission', 'r1', 'readwrite', 'foo']);
        return { denied, revokedWhileOpen };
      }),
    );
    assert.deepEqual(results[1], results[0]);
    assert.equal(results[0]!.denied[0]!['cancel_reason'], 'rpc error: code = PermissionDenied desc = etcdserver: permission denied');
    assert.deepEqual(results[0]!.revokedWhileOpen[1]!['events'], ['foo']);
  });

  test('tokens: forged, and expired after the TTL (2 s) without use', { timeout: 60_000 }, async () => {
    const outcomes = await Promise.all(
      names.map(async (n) => {
        const kv = client(address(n), 'KV');
        try {
          const forged = errorOf(await callUnary(kv, 'Range', { key: Buffer.from('foo') }, withToken('forged.token')));
          const token = await tokenOf(address(n), 'alice', 'apw');
          const fresh = errorOf(await callUnary(kv, 'Range', { key: Buffer.from('foo') }, withToken(token)));
          await new Promise((r) => setTimeout(r, 4_000));
          const expired = errorOf(await callUnary(kv, 'Range', { key: Buffer.from('foo') }, withToken(token)));
          return { forged, fresh, expired };
        } finally {
          kv.close();
        }
      }),
    );
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(outcomes[0], { forged: 'etcdserver: invalid auth token', fresh: 'ok', expired: 'etcdserver: invalid auth token' });
  });

  test("tokens: each use extends a token to the TTL (2 s) after it (etcd's resetSimpleToken)", { timeout: 60_000 }, async () => {
    const outcomes = await Promise.all(
      names.map(async (n) => {
        const kv = client(address(n), 'KV');
        try {
          const token = await tokenOf(address(n), 'alice', 'apw');
          const uses: string[] = [];
          // Used every 0.7 s for 4.2 s: twice the TTL after issue, never 2 s after a use.
          for (let i = 0; i < 6; i++) {
            await new Promise((r) => setTimeout(r, 700));
            uses.push(errorOf(await callUnary(kv, 'Range', { key: Buffer.from('foo') }, withToken(token))));
          }
          await new Promise((r) => setTimeout(r, 4_000));
          const unused = errorOf(await callUnary(kv, 'Range', { key: Buffer.from('foo') }, withToken(token)));
          return { uses, unused };
        } finally {
          kv.close();
        }
      }),
    );
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(outcomes[0], { uses: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'], unused: 'etcdserver: invalid auth token' });
  });

  test('disable: requests need no user again', async () => {
    await same([...root, 'auth', 'disable']);
    assert.equal((await status()).enabled, false);
    await same(['get', 'foo']);
  });
});

describe('conformance: auth with JWT tokens', () => {
  let servers: ServerPair;
  let dir: string;
  let otherKey: ReturnType<typeof generateKeyPairSync>['privateKey'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eckd-jwt-'));
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    writeFileSync(join(dir, 'pub.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'priv.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const flag = `--auth-token=jwt,pub-key=${join(dir, 'pub.pem')},priv-key=${join(dir, 'priv.pem')},sign-method=RS256,ttl=10m`;
    servers = await startServers({ etcdArgs: [flag], eckdFrontendArgs: [flag] });
    for (const n of names) {
      for (const args of [['user', 'add', 'root:rootpw'], ['user', 'add', 'alice:apw'], ['role', 'add', 'r1'], ['role', 'grant-permission', 'r1', 'readwrite', 'foo'], ['user', 'grant-role', 'alice', 'r1'], ['auth', 'enable']]) {
        await ctl(servers[n].address, args);
      }
    }
  }, { timeout: 120_000 });
  after(async () => {
    await servers?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a JWT of another key is invalid; an auth change makes a JWT old', { timeout: 60_000 }, async () => {
    const outcomes = await Promise.all(
      names.map(async (n) => {
        const kv = client(servers[n].address, 'KV');
        try {
          const token = await tokenOf(servers[n].address, 'alice', 'apw');
          const valid = errorOf(await callUnary(kv, 'Put', { key: Buffer.from('foo'), value: Buffer.from('1') }, withToken(token)));
          const [header, claims] = token.split('.');
          const resigned = `${header}.${claims}.${sign('sha256', Buffer.from(`${header}.${claims}`), otherKey).toString('base64url')}`;
          const otherKeyed = errorOf(await callUnary(kv, 'Put', { key: Buffer.from('foo'), value: Buffer.from('2') }, withToken(resigned)));
          await ctl(servers[n].address, ['--user', 'root:rootpw', 'role', 'add', 'r9']);
          const old = errorOf(await callUnary(kv, 'Put', { key: Buffer.from('foo'), value: Buffer.from('3') }, withToken(token)));
          return { valid, otherKeyed, old };
        } finally {
          kv.close();
        }
      }),
    );
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(outcomes[0], { valid: 'ok', otherKeyed: 'etcdserver: invalid auth token', old: 'etcdserver: revision of auth store is old' });
  });
});
