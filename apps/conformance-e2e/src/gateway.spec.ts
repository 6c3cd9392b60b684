// etcd's JSON gateway, differentially: the same HTTP requests to a real
// etcd 3.4.23 and to an eckd node, the same status codes and JSON (ids,
// the raft term and lease ids replaced by placeholders; both start empty,
// so revisions are compared as they are). Where 3.4 and eckd (3.6's
// behaviour) differ, each side's own answer is asserted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectWebSocket, createTestDatabase, startEtcd, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { EckdNode, EtcdServer, NatsServer, TestDatabase } from '@eckd/testing';

let etcd: EtcdServer;
let nats: NatsServer;
let db: TestDatabase;
let node: EckdNode;
let bases: { etcd: string; eckd: string };

before(async () => {
  etcd = await startEtcd();
  nats = await startNatsServer();
  db = await createTestDatabase();
  node = await startNode({ natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'gateway' });
  bases = { etcd: etcd.endpoint, eckd: `http://${node.endpoints[0]!}` };
});
after(async () => {
  await node?.stop();
  await Promise.allSettled([etcd?.stop(), nats?.stop(), db?.drop()]);
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const placeholders: Readonly<Record<string, string>> = { cluster_id: '<cluster>', member_id: '<member>', raft_term: '<term>' };

/** Ids become placeholders; everything else is compared as sent. */
function normalise(value: unknown, idFields: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, idFields));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = placeholders[k] ?? (idFields.includes(k) ? '<id>' : normalise(v, idFields));
  return out;
}

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

async function call(base: string, path: string, body?: string, method = body === undefined ? 'GET' : 'POST'): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text answers (404, 405) are compared as text
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body: parsed };
}

/** Sends to both, asserts the same answer, returns etcd's. */
async function same(path: string, body?: object | string, idFields: readonly string[] = [], method?: string): Promise<Answer> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const [fromEtcd, fromEckd] = await Promise.all([call(bases.etcd, path, text, method), call(bases.eckd, path, text, method)]);
  assert.deepEqual(
    { status: fromEckd.status, body: normalise(fromEckd.body, idFields) },
    { status: fromEtcd.status, body: normalise(fromEtcd.body, idFields) },
    `${path} ${text ?? ''}`,
  );
  return fromEtcd;
}

async function both(path: string, body?: object | string, method?: string): Promise<{ etcd: Answer; eckd: Answer }> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const [fromEtcd, fromEckd] = await Promise.all([call(bases.etcd, path, text, method), call(bases.eckd, path, text, method)]);
  return { etcd: fromEtcd, eckd: fromEckd };
}

describe('JSON gateway: etcd 3.4.23 and eckd answer the same', () => {
  test('KV: put, range (proto and camelCase names, int64 as string or number, enum names), txn, deleterange', async () => {
    await same('/v3/kv/put', { key: b64('gw/a'), value: b64('1') });
    await same('/v3/kv/put', { key: b64('gw/b'), value: b64('2'), prev_kv: true });
    await same('/v3/kv/put', { key: b64('gw/b'), value: b64('22'), prev_kv: true });
    await same('/v3/kv/range', { key: b64('gw/a') });
    await same('/v3/kv/range', { key: b64('gw/'), range_end: b64('gw0'), sort_order: 'DESCEND', sort_target: 'KEY', limit: '1' });
    await same('/v3/kv/range', { key: b64('gw/'), rangeEnd: b64('gw0'), sortOrder: 2, limit: 5, keysOnly: true });
    await same('/v3/kv/range', { key: b64('gw/'), range_end: b64('gw0'), count_only: true, revision: 2 });
    await same('/v3/kv/range', { key: b64('gw/missing') });
    await same('/v3/kv/txn', {
      compare: [{ key: b64('gw/a'), result: 'EQUAL', target: 'VALUE', value: b64('1') }],
      success: [{ request_range: { key: b64('gw/a') } }, { request_put: { key: b64('gw/c'), value: b64('3') } }],
      failure: [{ request_delete_range: { key: b64('gw/a') } }],
    });
    await same('/v3/kv/txn', {
      compare: [{ key: b64('gw/a'), result: 'GREATER', target: 'MOD', mod_revision: '100' }],
      success: [{ request_put: { key: b64('gw/never'), value: b64('x') } }],
      failure: [{ request_range: { key: b64('gw/c') } }],
    });
    await same('/v3/kv/deleterange', { key: b64('gw/'), range_end: b64('gw0'), prev_kv: true });
    await same('/v3/kv/deleterange', { key: b64('gw/'), range_end: b64('gw0') });
  });

  test('errors: etcd\'s code, message and HTTP status', async () => {
    await same('/v3/kv/range', { key: '' });
    await same('/v3/kv/range', {});
    await same('/v3/kv/range', { key: b64('gw/a'), revision: '1000' });
    await same('/v3/kv/put', { key: '' });
    await same('/v3/kv/txn', { success: [{ request_put: { key: b64('d') } }, { request_put: { key: b64('d') } }] });
    await same('/v3/lease/revoke', { ID: '1' });
    await same('/v3/kv/lease/revoke', { ID: 1 });
    await same('/v3/lease/timetolive', { ID: '1' });
    await same('/v3/kv/lease/timetolive', { ID: '1', keys: true });
  });

  test('compaction, then a range below it', async () => {
    const put = await same('/v3/kv/put', { key: b64('gw/k'), value: b64('v') });
    const revision = (put.body as { header: { revision: string } }).header.revision;
    await same('/v3/kv/put', { key: b64('gw/k'), value: b64('w') });
    await same('/v3/kv/compaction', { revision, physical: true });
    await same('/v3/kv/range', { key: b64('gw/k'), revision: String(Number(revision) - 1) });
    await same('/v3/kv/compaction', { revision: '1' });
  });

  test('leases: grant, time to live, leases, keep-alive, revoke (lease ids as placeholders)', async () => {
    const granted = await both('/v3/lease/grant', { TTL: '60' });
    assert.deepEqual(normalise(granted.eckd.body, ['ID']), normalise(granted.etcd.body, ['ID']));
    const ids = { etcd: (granted.etcd.body as { ID: string }).ID, eckd: (granted.eckd.body as { ID: string }).ID };
    const perServer = async (path: string, body: (id: string) => object) => {
      const [e, k] = await Promise.all([call(bases.etcd, path, JSON.stringify(body(ids.etcd))), call(bases.eckd, path, JSON.stringify(body(ids.eckd)))]);
      assert.deepEqual({ status: k.status, body: normalise(k.body, ['ID']) }, { status: e.status, body: normalise(e.body, ['ID']) }, path);
    };
    await perServer('/v3/kv/put', (id) => ({ key: b64('gw/leased'), value: b64('x'), lease: id }));
    await perServer('/v3/lease/timetolive', (id) => ({ ID: id, keys: true }));
    await perServer('/v3/kv/lease/leases', () => ({}));
    await perServer('/v3/lease/keepalive', (id) => ({ ID: id }));
    await perServer('/v3/lease/revoke', (id) => ({ ID: id }));
    await same('/v3/kv/range', { key: b64('gw/leased') });
    await same('/v3/lease/keepalive', { ID: '1' });
  });

  test('watch: created, then events, one JSON result per line', async () => {
    const open = async (base: string) => {
      const controller = new AbortController();
      const res = await fetch(`${base}/v3/watch`, { method: 'POST', body: JSON.stringify({ create_request: { key: b64('gw/w'), prev_kv: true } }), signal: controller.signal });
      const reader = res.body!.getReader();
      let buffered = '';
      const lines: unknown[] = [];
      const next = async () => {
        while (!buffered.includes('\n')) {
          const { value, done } = await reader.read();
          if (done) throw new Error('watch ended');
          buffered += Buffer.from(value).toString('utf8');
        }
        const at = buffered.indexOf('\n');
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        lines.push(JSON.parse(line));
        return lines.at(-1);
      };
      return { status: res.status, next, close: () => controller.abort() };
    };
    const [w1, w2] = await Promise.all([open(bases.etcd), open(bases.eckd)]);
    try {
      assert.equal(w2.status, w1.status);
      assert.deepEqual(normalise(await w2.next()), normalise(await w1.next()));
      await same('/v3/kv/put', { key: b64('gw/w'), value: b64('1') });
      await same('/v3/kv/put', { key: b64('gw/w'), value: b64('2') });
      await same('/v3/kv/deleterange', { key: b64('gw/w') });
      for (let i = 0; i < 3; i++) assert.deepEqual(normalise(await w2.next()), normalise(await w1.next()));
    } finally {
      w1.close();
      w2.close();
    }
  });

  test('watch over WebSocket (grpc-websocket-proxy): requests as text messages, each answer a text message {"result":…}', async () => {
    const [w1, w2] = await Promise.all([connectWebSocket(`${bases.etcd}/v3/watch`), connectWebSocket(`${bases.eckd}/v3/watch`)]);
    try {
      for (const w of [w1, w2]) w.sendText(JSON.stringify({ create_request: { key: b64('gw/ws'), prev_kv: true } }));
      assert.deepEqual(normalise(await w2.nextJson()), normalise(await w1.nextJson()));
      await same('/v3/kv/put', { key: b64('gw/ws'), value: b64('1') });
      await same('/v3/kv/put', { key: b64('gw/ws'), value: b64('2') });
      for (let i = 0; i < 2; i++) assert.deepEqual(normalise(await w2.nextJson()), normalise(await w1.nextJson()));
      // A second watch on the same socket, its request in two fragments.
      for (const w of [w1, w2]) {
        w.sendFrame(0x1, '{"create_request":', false);
        w.sendFrame(0x0, `${JSON.stringify({ key: b64('gw/ws2') })}}`);
      }
      assert.deepEqual(normalise(await w2.nextJson()), normalise(await w1.nextJson()));
    } finally {
      w1.close();
      w2.close();
    }
  });

  test('watch over WebSocket, eckd alone: ping answered with pong, a message over the body limit closed with 1009, other paths 404', async () => {
    const w = await connectWebSocket(`${bases.eckd}/v3/watch`);
    try {
      w.sendFrame(0x9, 'are you there');
      const pong = await w.nextFrame();
      assert.deepEqual([pong.opcode, pong.payload.toString('utf8')], [0xa, 'are you there']);
      // --max-request-bytes (1.5 MiB) plus etcd's 512 KiB of gRPC overhead.
      w.sendFrame(0x1, 'x'.repeat(1.5 * 1024 * 1024 + 512 * 1024 + 1));
      const close = await w.nextFrame();
      assert.deepEqual([close.opcode, close.payload.readUInt16BE(0)], [0x8, 1009]);
    } finally {
      w.close();
    }
    await assert.rejects(connectWebSocket(`${bases.eckd}/v3/kv/range`), /HTTP 404/);
  });

  test('maintenance: status keys, hash present, defragment', async () => {
    const { etcd: e, eckd: k } = await both('/v3/maintenance/status', {});
    assert.equal(k.status, e.status);
    for (const field of ['header', 'version', 'dbSize', 'leader', 'raftIndex', 'raftTerm', 'dbSizeInUse']) assert.ok(field in (k.body as object), field);
    await same('/v3/maintenance/defragment', {});
    const hash = await both('/v3/maintenance/hash', {});
    assert.equal(hash.eckd.status, 200);
    assert.equal(typeof (hash.eckd.body as { hash: unknown }).hash, 'number');
  });

  test('HTTP: unknown path 404, wrong method 405, malformed JSON InvalidArgument, CORS headers', async () => {
    await same('/v3/nothere', {});
    await same('/v3/kv/range', undefined, [], 'GET');
    await same('/health', '{}', [], 'POST');
    const bad = await both('/v3/kv/range', 'notjson');
    // The message is Go's JSON decoder's (etcd) or JavaScript's (eckd); the status and code are etcd's.
    assert.equal(bad.eckd.status, bad.etcd.status);
    assert.equal((bad.eckd.body as { code: number }).code, (bad.etcd.body as { code: number }).code);
    const res = await fetch(`${bases.eckd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('x') }) });
    await res.text();
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'POST, GET, OPTIONS, PUT, DELETE');
  });

  test('where 3.4 and 3.6 differ, each gives its own answer', async () => {
    // /version: 3.6 adds "storage".
    const version = await both('/version');
    assert.deepEqual(version.etcd.body, { etcdserver: '3.4.23', etcdcluster: '3.4.0' });
    assert.deepEqual(version.eckd.body, { etcdserver: '3.6.0', etcdcluster: '3.6.0', storage: '3.6.0' });
    // /metrics: both client ports serve Prometheus text (shape and status only: the families differ).
    const metrics = await both('/metrics');
    assert.deepEqual([metrics.etcd.status, metrics.eckd.status], [200, 200]);
    for (const side of [metrics.etcd, metrics.eckd]) {
      assert.match(side.contentType ?? '', /^text\/plain/);
      assert.match(String(side.body), /^# TYPE etcd_server_has_leader gauge$/m);
    }
    // /livez and /readyz: 3.6 serves them on the client port, 3.4 has neither path.
    for (const path of ['/livez', '/readyz']) {
      const probe = await both(path);
      assert.equal(probe.etcd.status, 404, path);
      assert.deepEqual([probe.eckd.status, probe.eckd.body], [200, 'ok\n'], path);
    }
    // /health: 3.5+ adds "reason".
    const health = await both('/health');
    assert.deepEqual(health.etcd.body, { health: 'true' });
    assert.deepEqual(health.eckd.body, { health: 'true', reason: '' });
    // AlarmResponse: 3.4 leaves the header out, 3.6 fills it.
    const alarm = await both('/v3/maintenance/alarm', {});
    assert.deepEqual(alarm.etcd.body, {});
    assert.deepEqual(Object.keys(alarm.eckd.body as object), ['header']);
    // /v3/maintenance/hashkv: 3.4 has no path for it (404), 3.6 serves HashKV there.
    const hashKv = await both('/v3/maintenance/hashkv', {});
    assert.equal(hashKv.etcd.status, 404);
    assert.equal(hashKv.eckd.status, 200);
    // /v3beta/...: 3.4 still serves the beta prefix, 3.5 and later do not.
    const beta = await both('/v3beta/kv/range', { key: b64('gw/a') });
    assert.equal(beta.etcd.status, 200);
    assert.equal(beta.eckd.status, 404);
    // Auth: 3.4 has no AuthStatus (404); eckd serves 3.5+'s (auth disabled: enabled false, left out as a default value).
    const authStatus = await both('/v3/auth/status', {});
    assert.equal(authStatus.etcd.status, 404);
    assert.equal(authStatus.eckd.status, 200);
    assert.equal((authStatus.eckd.body as { enabled?: boolean }).enabled, undefined);
  });
});
