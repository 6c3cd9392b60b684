// The JSON gateway of a node over TLS on its own port (etcd 3.5's
// --listen-client-http-urls) with --client-cert-auth, and its bounds:
// request bodies (--max-request-bytes) and open streams
// (ECKD_GATEWAY_WATCH_STREAMS_MAX); Snapshot as a stream of JSON lines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { freePort, makeTestCertificates, waitUntil } from '@eckd/testing';
import type { CertificatePair, TestCertificates } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let certs: TestCertificates;
let f: NodeFixture | undefined;
let alice: CertificatePair;
let httpPort: number;

before(async () => {
  certs = await makeTestCertificates();
  alice = await certs.client('alice');
  httpPort = await freePort();
  f = await startNodeFixture({
    clientScheme: 'https',
    frontendArgs: [
      ...certs.frontendArgs({ clientCertAuth: true }),
      '--listen-client-http-urls', `https://127.0.0.1:${httpPort}`,
      '--max-request-bytes', '1024',
    ],
    roleEnv: { frontend: { ECKD_GATEWAY_WATCH_STREAMS_MAX: '1' } },
  });
});
after(async () => {
  await f?.stop();
  await certs?.stop();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A POST over TLS; `onResponse` sees the response as it streams. */
function post(port: number, path: string, body: string, pair: CertificatePair | undefined, onResponse?: (res: IncomingMessage) => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca: readFileSync(certs.caFile), ...(pair ? { cert: readFileSync(pair.cert), key: readFileSync(pair.key) } : {}), agent: false },
      (res) => {
        onResponse?.(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('JSON gateway on its own TLS port', () => {
  test('put and range with a client certificate; refused without one; the client URL no longer serves HTTP', async () => {
    const put = await post(httpPort, '/v3/kv/put', JSON.stringify({ key: b64('gw/k'), value: b64('v') }), alice);
    assert.equal(put.status, 200, put.text);
    const range = await post(httpPort, '/v3/kv/range', JSON.stringify({ key: b64('gw/k') }), alice);
    assert.equal(JSON.parse(range.text).kvs[0].value, b64('v'));
    await assert.rejects(post(httpPort, '/v3/kv/range', JSON.stringify({ key: b64('gw/k') }), undefined));
    const clientPort = Number(f!.node.endpoints[0]!.split(':')[1]);
    const onClientUrl = await post(clientPort, '/v3/kv/range', JSON.stringify({ key: b64('gw/k') }), alice);
    assert.equal(onClientUrl.status, 404);
  });

  test('a body over --max-request-bytes plus 512 KiB is refused and changes nothing', async () => {
    const big = await post(httpPort, '/v3/kv/put', JSON.stringify({ key: b64('gw/big'), value: Buffer.alloc(600 * 1024, 1).toString('base64') }), alice);
    assert.equal(big.status, 400);
    assert.deepEqual(JSON.parse(big.text), { error: 'etcdserver: request is too large', message: 'etcdserver: request is too large', code: 3 });
    // Within the body bound but over --max-request-bytes: the gRPC handler's own answer.
    const handler = await post(httpPort, '/v3/kv/put', JSON.stringify({ key: b64('gw/big'), value: Buffer.alloc(2048, 1).toString('base64') }), alice);
    assert.equal(handler.status, 400);
    assert.equal(JSON.parse(handler.text).message, 'etcdserver: request is too large');
    const range = await post(httpPort, '/v3/kv/range', JSON.stringify({ key: b64('gw/big') }), alice);
    assert.equal(JSON.parse(range.text).kvs, undefined);
  });

  test('streams beyond ECKD_GATEWAY_WATCH_STREAMS_MAX get 429 too many requests; a closed one frees its slot', async () => {
    let first: IncomingMessage | undefined;
    const created = new Promise<string>((resolve) => {
      void post(httpPort, '/v3/watch', JSON.stringify({ create_request: { key: b64('gw/w') } }), alice, (res) => {
        first = res;
        res.once('data', (c: Buffer) => resolve(c.toString()));
      }).catch(() => undefined);
    });
    assert.ok(JSON.parse(await created).result.created);
    const second = await post(httpPort, '/v3/watch', JSON.stringify({ create_request: { key: b64('gw/w') } }), alice);
    assert.equal(second.status, 429);
    assert.deepEqual(JSON.parse(second.text), { error: 'etcdserver: too many requests', message: 'etcdserver: too many requests', code: 8 });
    first!.destroy();
    await waitUntil(async () => (await post(httpPort, '/v3/lease/keepalive', JSON.stringify({ ID: '1' }), alice)).status === 200, 10_000, 'a free stream slot');
  });

  test('Snapshot streams JSON lines of base64 blobs', async () => {
    const snapshot = await post(httpPort, '/v3/maintenance/snapshot', '{}', alice);
    assert.equal(snapshot.status, 200);
    const lines = snapshot.text.trim().split('\n').map((l) => JSON.parse(l) as { result: { blob?: string; remaining_bytes?: string } });
    assert.ok(lines.length >= 1);
    const bytes = lines.reduce((n, l) => n + Buffer.from(l.result.blob ?? '', 'base64').length, 0);
    assert.ok(bytes > 0);
    assert.equal(lines.at(-1)!.result.remaining_bytes, undefined);
  });
});
