// The client port's HTTP side serves etcd's /livez, /readyz, /health,
// /version and /metrics (as etcd's serveClients does) with the ops
// listener's own handler: the same answers on both, plaintext and over
// https (ARCHITECTURE §1a, §9).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { makeTestCertificates } from '@eckd/testing';
import type { TestCertificates } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

interface Answer {
  status: number;
  body: string;
  type: string | undefined;
}

async function get(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? undefined };
}

/** GET over https with the test CA (fetch takes no CA of its own). */
function getTls(url: string, ca: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ops endpoints on the client port (plaintext)', () => {
  let f: NodeFixture;
  before(async () => {
    f = await startNodeFixture();
  });
  after(async () => {
    await f?.stop();
  });

  test('/livez, /readyz (with ?verbose and one check), /health and /version answer as on the ops listener', async () => {
    const client = `http://${f.node.endpoints[0]!}`;
    const ops = f.node.opsUrls.frontends[0]!;
    for (const path of ['/livez', '/readyz', '/readyz?verbose', '/readyz/linearizable_read', '/livez?verbose', '/health', '/health?serializable=true', '/version']) {
      const [a, b] = await Promise.all([get(`${client}${path}`), get(`${ops}${path}`)]);
      assert.deepEqual([a.status, a.body, a.type], [b.status, b.body, b.type], path);
      assert.equal(a.status, 200, path);
    }
    assert.equal((await get(`${client}/readyz?verbose`)).body, '[+]serializable_read ok\n[+]linearizable_read ok\nok\n');
    const post = await get(`${client}/readyz`, { method: 'POST' });
    assert.equal(post.status, 405);
    // Not an ops path: the gateway's own 404, not the ops listener's.
    assert.deepEqual((await get(`${client}/readyz/nothing`)).status, 404);
  });

  test('/metrics on the client port is the same registry as the ops listener', async () => {
    const page = await get(`http://${f.node.endpoints[0]!}/metrics`);
    assert.equal(page.status, 200);
    assert.match(page.type ?? '', /^text\/plain/);
    assert.match(page.body, /^etcd_server_has_leader 1$/m);
    assert.match(page.body, /^# TYPE etcd_mvcc_watcher_total gauge$/m);
  });
});

describe('ops endpoints on the client port (https)', () => {
  let certs: TestCertificates;
  let f: NodeFixture | undefined;
  before(async () => {
    certs = await makeTestCertificates();
    f = await startNodeFixture({ clientScheme: 'https', frontendArgs: certs.frontendArgs() });
  });
  after(async () => {
    await f?.stop();
    await certs?.stop();
  });

  test('/livez, /readyz, /health and /metrics over https', async () => {
    const ca = readFileSync(certs.caFile);
    const base = `https://${f!.node.endpoints[0]!}`;
    assert.deepEqual(await getTls(`${base}/livez`, ca), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
    assert.deepEqual(await getTls(`${base}/readyz`, ca), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
    assert.deepEqual(JSON.parse((await getTls(`${base}/health`, ca)).body), { health: 'true', reason: '' });
    const metrics = await getTls(`${base}/metrics`, ca);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
  });
});
