// A client certificate's common name as the user (etcd's --client-cert-auth
// with auth enabled, AuthInfoFromTLS; docs/ARCHITECTURE.md §5g) on a whole
// node with TLS and certificates made at run time: users without passwords
// act through their certificates, a token wins over the certificate, a
// call marked as a grpc-gateway's proxied request loses its common name,
// and the JSON gateway authenticates by token only; without
// --client-cert-auth no certificate names a user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { etcdctl, makeTestCertificates } from '@eckd/testing';
import type { CertificatePair, TestCertificates } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let certs: TestCertificates;
let f: NodeFixture | undefined;
let root: CertificatePair;
let alice: CertificatePair;
let nobody: CertificatePair;
let endpoint: string;

before(async () => {
  certs = await makeTestCertificates();
  root = await certs.client('root');
  alice = await certs.client('alice');
  nobody = await certs.client('nobody');
  f = await startNodeFixture({
    clientScheme: 'https',
    frontendArgs: certs.frontendArgs({ clientCertAuth: true }),
  });
  endpoint = `https://${f.node.endpoints[0]!}`;
});
after(async () => {
  await f?.stop();
  await certs?.stop();
});

const as = (pair: CertificatePair) => certs.etcdctlArgs(pair);

async function ok(pair: CertificatePair, args: string[]): Promise<string> {
  const res = await etcdctl(endpoint, [...as(pair), ...args]);
  assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

async function refused(pair: CertificatePair, args: string[]): Promise<string> {
  const res = await etcdctl(endpoint, [...as(pair), ...args]);
  assert.notEqual(res.code, 0, `${args.join(' ')} succeeded: ${res.stdout}`);
  return res.stderr;
}

type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Record<string, unknown>) => void) => void;

/** A KV Range over TLS with `pair`'s certificate and the given metadata: the response, or the error's details. */
function range(pair: CertificatePair, key: string, metadata: Record<string, string>): Promise<Record<string, unknown> | string> {
  const credentials = grpc.credentials.createSsl(readFileSync(certs.caFile), readFileSync(pair.key), readFileSync(pair.cert));
  const client = new (loadEtcdGrpc().grpcObject.etcdserverpb.KV)(f!.node.endpoints[0]!, credentials);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    ((client as unknown as Record<string, Unary>)['Range']!).call(client, { key: Buffer.from(key) }, md, (err, res) => {
      client.close();
      resolve(err ? err.details : res!);
    });
  });
}

/** A JSON gateway POST on the client port with `pair`'s certificate and, if given, an Authorization header. */
function gatewayPost(pair: CertificatePair, path: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const [host, port] = f!.node.endpoints[0]!.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path,
        method: 'POST',
        ca: readFileSync(certs.caFile),
        cert: readFileSync(pair.cert),
        key: readFileSync(pair.key),
        agent: false,
        headers: token === undefined ? {} : { authorization: token },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('client certificates as users (--client-cert-auth)', () => {
  test('users without passwords, roles granted, auth enabled through the root certificate', { timeout: 120_000 }, async () => {
    await ok(root, ['user', 'add', 'root', '--no-password']);
    await ok(root, ['user', 'grant-role', 'root', 'root']);
    await ok(root, ['user', 'add', 'alice', '--no-password']);
    await ok(root, ['user', 'add', 'carol:cpw']);
    await ok(root, ['role', 'add', 'app']);
    await ok(root, ['role', 'grant-permission', 'app', 'readwrite', '--prefix=true', 'app/']);
    await ok(root, ['user', 'grant-role', 'alice', 'app']);
    await ok(root, ['user', 'grant-role', 'carol', 'app']);
    assert.match(await ok(root, ['auth', 'enable']), /Authentication Enabled/);
  });

  test("alice's certificate puts under her prefix and is denied elsewhere", { timeout: 60_000 }, async () => {
    assert.equal(await ok(alice, ['put', 'app/x', '1']), 'OK\n');
    assert.equal(await ok(alice, ['get', 'app/x', '--print-value-only']), '1\n');
    assert.match(await refused(alice, ['put', 'other', '1']), /etcdserver: permission denied/);
    assert.match(await refused(alice, ['get', 'other']), /etcdserver: permission denied/);
    assert.match(await refused(alice, ['user', 'list']), /etcdserver: permission denied/);
  });

  test("root's certificate can do everything", { timeout: 60_000 }, async () => {
    assert.equal(await ok(root, ['put', 'other', '2']), 'OK\n');
    assert.equal(await ok(root, ['get', 'app/x', '--print-value-only']), '1\n');
    assert.match(await ok(root, ['user', 'list']), /alice/);
    await ok(root, ['compaction', '1']);
  });

  test('a certificate whose common name is no user is denied', { timeout: 60_000 }, async () => {
    assert.match(await refused(nobody, ['get', 'app/x']), /etcdserver: permission denied/);
    assert.match(await refused(nobody, ['user', 'list']), /etcdserver: user name not found/);
  });

  test("a token wins over the certificate: root's certificate with carol's password is carol", { timeout: 60_000 }, async () => {
    assert.match(await refused(root, ['--user=carol:cpw', 'put', 'other', '3']), /etcdserver: permission denied/);
    assert.equal(await ok(root, ['--user=carol:cpw', 'put', 'app/c', '3']), 'OK\n');
    // A token that does not verify is refused, not replaced by the certificate (etcd's AuthInfoFromCtx).
    assert.equal(await range(root, 'other', { token: 'not-a-token' }), 'etcdserver: invalid auth token');
  });

  test('a gRPC call marked grpcgateway-accept loses its common name (etcd ignores a gateway proxy certificate)', { timeout: 60_000 }, async () => {
    assert.equal(typeof (await range(root, 'other', {})), 'object');
    assert.equal(await range(root, 'other', { 'grpcgateway-accept': 'application/json' }), 'etcdserver: user name is empty');
  });

  test('the JSON gateway authenticates by token only: a certificate alone is no user', { timeout: 60_000 }, async () => {
    const anonymous = await gatewayPost(root, '/v3/kv/range', { key: b64('app/x') });
    assert.equal(anonymous.json['message'], 'etcdserver: user name is empty');
    const auth = await gatewayPost(root, '/v3/auth/authenticate', { name: 'carol', password: 'cpw' });
    assert.equal(auth.status, 200, JSON.stringify(auth.json));
    const read = await gatewayPost(root, '/v3/kv/range', { key: b64('app/x') }, String(auth.json['token']));
    assert.equal(read.status, 200, JSON.stringify(read.json));
    assert.equal((read.json['kvs'] as { value: string }[])[0]!.value, b64('1'));
  });
});

describe('without --client-cert-auth a certificate names no user', () => {
  let plain: NodeFixture | undefined;
  let plainEndpoint: string;
  before(async () => {
    // TLS with a trusted CA but no --client-cert-auth: no certificate is asked for (etcd's ClientCertAuthEnabled off).
    plain = await startNodeFixture({
      clientScheme: 'https',
      frontendArgs: ['--cert-file', certs.server.cert, '--key-file', certs.server.key, '--trusted-ca-file', certs.caFile],
    });
    plainEndpoint = `https://${plain.node.endpoints[0]!}`;
  });
  after(async () => {
    await plain?.stop();
  });

  test("root's certificate is no user once auth is enabled; its password is", { timeout: 120_000 }, async () => {
    const run = (args: string[]) => etcdctl(plainEndpoint, [...as(root), ...args]);
    for (const args of [['user', 'add', 'root:rootpw'], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const res = await run(args);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    }
    assert.match((await run(['get', 'k'])).stderr, /etcdserver: user name is empty/);
    const withPassword = await run(['--user=root:rootpw', 'put', 'k', 'v']);
    assert.equal(withPassword.code, 0, withPassword.stderr);
  });
});
