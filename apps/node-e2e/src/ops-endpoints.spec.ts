// The ops listener of every app (--listen-metrics-urls; ARCHITECTURE §9):
// /livez, /readyz, /health and /version answer in etcd's shapes (compared
// with a real etcd's /health and /version; etcd 3.4 has no /livez or
// /readyz, their text is etcd 3.6's), /metrics counts what happened, the
// frontends answer grpc.health.v1, `--version` prints and exits 0, and a
// stopped backend makes the frontend not ready.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { builtAppMain, etcdctl, freePort, isReadyLine, startEtcd, startProcess } from '@eckd/testing';
import type { EtcdServer, ProcessHandle } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let etcd: EtcdServer;
let compactor: ProcessHandle;
let compactorOps: string;

before(async () => {
  [f, etcd] = await Promise.all([startNodeFixture(), startEtcd()]);
  compactorOps = `http://127.0.0.1:${await freePort()}`;
  compactor = await startProcess({
    name: 'e2e/compactor',
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('compactor'), '--listen-metrics-urls', compactorOps],
    env: { NATS_URL: f.nats.url, ECKD_SUBJECT_PREFIX: f.subjectPrefix, ECKD_NODE_NAME: 'e2e', DATABASE_URL: f.db.url },
    readyLine: isReadyLine,
    readyTimeoutMs: 30_000,
  });
});

after(async () => {
  await Promise.allSettled([compactor?.stop(), f?.stop(), etcd?.stop()]);
});

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** The value of one sample (`name{labels} value`) in a Prometheus text page; 0 when absent. */
function sample(page: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of page.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return 0;
}

describe('ops endpoints of a node', () => {
  test('/livez and /readyz: "ok", with ?verbose the checks in etcd 3.6 form, one check by its path', async () => {
    const all = { persister: f.node.opsUrls.persister, backend: f.node.opsUrls.backend, frontend: f.node.opsUrls.frontends[0]!, compactor: compactorOps };
    for (const [app, url] of Object.entries(all)) {
      for (const path of ['/livez', '/readyz']) {
        const r = await get(`${url}${path}`);
        assert.deepEqual([r.status, r.body], [200, 'ok\n'], `${app} ${path}`);
        assert.equal(r.type, 'text/plain; charset=utf-8');
      }
    }
    const verbose = await get(`${all.frontend}/readyz?verbose`);
    assert.equal(verbose.body, '[+]serializable_read ok\n[+]linearizable_read ok\nok\n');
    assert.equal((await get(`${all.frontend}/readyz/linearizable_read?verbose`)).body, '[+]linearizable_read ok\nok\n');
    assert.equal((await get(`${all.frontend}/readyz?verbose&exclude=linearizable_read`)).body, '[+]serializable_read ok\nok\n');
    assert.equal((await get(`${all.backend}/readyz?verbose`)).body, '[+]recovered ok\n[+]persister ok\nok\n');
    assert.equal((await get(`${all.persister}/readyz?verbose`)).body, '[+]postgres ok\n[+]node_lock ok\nok\n');
    assert.equal((await get(`${all.compactor}/readyz?verbose`)).body, '[+]postgres ok\n[+]nats ok\nok\n');
    assert.equal((await get(`${all.frontend}/nothing`)).status, 404);
    const post = await fetch(`${all.frontend}/readyz`, { method: 'POST' });
    assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET']);
  });

  test("/health and /version: etcd's JSON (the keys a real etcd answers with), version 3.6.0", async () => {
    const etcdHealth = JSON.parse((await get(`${etcd.endpoint}/health`)).body) as Record<string, unknown>;
    const etcdVersion = JSON.parse((await get(`${etcd.endpoint}/version`)).body) as Record<string, unknown>;
    const health = await get(`${f.node.opsUrls.frontends[0]}/health`);
    assert.equal(health.status, 200);
    const ours = JSON.parse(health.body) as Record<string, unknown>;
    assert.deepEqual(ours, { health: 'true', reason: '' });
    for (const key of Object.keys(etcdHealth)) assert.ok(key in ours, `etcd's /health has ${key}`);
    for (const url of [f.node.opsUrls.frontends[0]!, f.node.opsUrls.backend]) {
      const version = await get(`${url}/version`);
      assert.equal(version.type, 'application/json');
      const v = JSON.parse(version.body) as Record<string, unknown>;
      // etcd 3.6 adds "storage" to 3.4's two keys.
      assert.deepEqual(v, { etcdserver: '3.6.0', etcdcluster: '3.6.0', storage: '3.6.0' });
      for (const key of Object.keys(etcdVersion)) assert.ok(key in v, `etcd's /version has ${key}`);
    }
    assert.deepEqual(JSON.parse((await get(`${f.node.opsUrls.persister}/health`)).body), { health: 'true', reason: '' });
  });

  test('/metrics: N puts raise etcd_server_proposals_committed_total and grpc_server_handled_total{Put,OK} by N', async () => {
    const n = 5;
    const backendBefore = (await get(`${f.node.opsUrls.backend}/metrics`)).body;
    const frontendBefore = (await get(`${f.node.opsUrls.frontends[0]}/metrics`)).body;
    for (let i = 0; i < n; i++) assert.equal((await etcdctl(f.node.endpoints[0]!, ['put', `ops/${i}`, 'v'])).code, 0);
    const backendAfter = (await get(`${f.node.opsUrls.backend}/metrics`)).body;
    const frontendAfter = (await get(`${f.node.opsUrls.frontends[0]}/metrics`)).body;
    assert.equal(sample(backendAfter, 'etcd_server_proposals_committed_total') - sample(backendBefore, 'etcd_server_proposals_committed_total'), n);
    const put = { grpc_method: 'Put', grpc_code: 'OK', grpc_service: 'etcdserverpb.KV', grpc_type: 'unary' };
    assert.equal(sample(frontendAfter, 'grpc_server_handled_total', put) - sample(frontendBefore, 'grpc_server_handled_total', put), n);
    assert.ok(sample(frontendAfter, 'grpc_server_handling_seconds_count', { grpc_method: 'Put' }) >= n);
    assert.equal(sample(backendAfter, 'etcd_server_has_leader'), 1);
    assert.equal(sample(frontendAfter, 'eckd_replica_revision'), sample(backendAfter, 'etcd_debugging_mvcc_current_revision'));
    assert.equal(sample(frontendAfter, 'etcd_server_has_leader'), 1);
    assert.ok(sample(backendAfter, 'etcd_debugging_mvcc_keys_total') >= n);
    assert.ok(sample(backendAfter, 'eckd_batch_proposals_count') >= n);
    assert.ok(sample(backendAfter, 'process_resident_memory_bytes') > 0);
    const persister = (await get(`${f.node.opsUrls.persister}/metrics`)).body;
    assert.ok(sample(persister, 'etcd_disk_backend_commit_duration_seconds_count') >= n);
    assert.match(frontendAfter, /^# TYPE grpc_server_handled_total counter$/m);
    assert.doesNotMatch(frontendAfter, /target_info|otel_scope_name/);
  });

  test('grpc.health.v1.Health on the client port: Check SERVING for "", NOT_FOUND for another service; Watch sends SERVING', async () => {
    const serialize = (service: string) => (service === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]));
    const Client = grpc.makeGenericClientConstructor(
      {
        Watch: {
          path: '/grpc.health.v1.Health/Watch',
          requestStream: false,
          responseStream: true,
          requestSerialize: serialize,
          requestDeserialize: (b: Buffer) => b.toString(),
          responseSerialize: (s: number) => Buffer.from([0x08, s]),
          responseDeserialize: (b: Buffer) => (b.length >= 2 ? b[1]! : 0),
        },
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: serialize,
          requestDeserialize: (b: Buffer) => b.toString(),
          responseSerialize: (s: number) => Buffer.from([0x08, s]),
          responseDeserialize: (b: Buffer) => (b.length >= 2 ? b[1]! : 0),
        },
      },
      'Health',
    );
    const client = new Client(f.node.endpoints[0]!, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<number>((resolve, reject) =>
        (client as unknown as { Check(req: string, cb: (err: Error | null, status: number) => void): void }).Check(service, (err, status) => (err ? reject(err) : resolve(status))),
      );
    try {
      assert.equal(await check(''), 1); // SERVING
      await assert.rejects(check('etcdserverpb.KV'), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
      const watch = (client as unknown as { Watch(req: string): grpc.ClientReadableStream<number> }).Watch('');
      const first = await new Promise<number>((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      watch.cancel();
      assert.equal(first, 1); // SERVING
    } finally {
      client.close();
    }
  });

  test('--version on every app prints the versions and exits 0', () => {
    for (const app of ['etcd-api', 'backend', 'persister', 'compactor']) {
      const r = spawnSync(process.execPath, [builtAppMain(app), '--version'], { encoding: 'utf8', env: { ...process.env, ECKD_EMULATED_ETCD_VERSION: '3.5.17' } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^eckd ${app} Version: \\d+\\.\\d+\\.\\d+\\netcd Version: 3\\.5\\.17 \\(emulated\\)\\n`));
    }
  });

  test('with the backend stopped, the frontend is not ready and /health says no leader', async () => {
    await f.node.processes.backend.stop();
    const readyz = await get(`${f.node.opsUrls.frontends[0]}/readyz`);
    assert.equal(readyz.status, 503);
    assert.match(readyz.body, /^\[\+\]serializable_read ok\n\[-\]linearizable_read failed: .+\n\n$/);
    assert.equal((await get(`${f.node.opsUrls.frontends[0]}/livez`)).status, 200);
    const health = await get(`${f.node.opsUrls.frontends[0]}/health`);
    assert.deepEqual([health.status, health.body], [503, '{"health":"false","reason":"RAFT NO LEADER"}\n']);
    // etcd's ?serializable=true skips the leader and reads locally.
    assert.deepEqual(JSON.parse((await get(`${f.node.opsUrls.frontends[0]}/health?serializable=true`)).body), { health: 'true', reason: '' });
  });
});
