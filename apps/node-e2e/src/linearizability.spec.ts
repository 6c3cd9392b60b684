// Records a concurrent history of Put / Range / Delete / Txn (CAS and a
// two-key txn) from 8 clients over two frontends on a few keys, as etcd's
// robustness tests do, and checks it with the linearizability checker.
// Every written value is unique, so the model can tell writes apart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { IKeyValue, IResponseHeader, IResponseOp } from 'etcd3';
import { HistoryRecorder, checkLinearizable, createKvModel, emptyKvState, isReadOnlyKvRequest } from '@eckd/lincheck';
import type { KvOpResult, KvRequest, KvResponse, KvTxnOp, KvView, Operation } from '@eckd/lincheck';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

const clientCount = 8;
const opsPerClient = 200;
const keys = ['lin/a', 'lin/b', 'lin/c', 'lin/d'];
const checkTimeoutMs = 20_000;

let f: NodeFixture;
let clients: Etcd3[] = [];
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
  clients = Array.from({ length: clientCount }, (_, i) => new Etcd3({ hosts: `http://${f.node.endpoints[i % f.node.endpoints.length]!}` }));
});
after(async () => {
  for (const c of clients) c.close();
  await f?.stop();
});

const buf = (s: string): Buffer => Buffer.from(s);
const revisionOf = (h: IResponseHeader): number => Number(h.revision);

function toView(kv: IKeyValue): KvView {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision), version: Number(kv.version) };
}

/** Sends one request through the etcd3 raw KV client and converts the answer. */
async function execute(client: Etcd3, req: KvRequest): Promise<KvResponse> {
  switch (req.type) {
    case 'range': {
      const res = await client.kv.range({ key: buf(req.key), revision: req.revision ?? 0 });
      return { revision: revisionOf(res.header), type: 'range', kvs: res.kvs.map(toView) };
    }
    case 'put': {
      const res = await client.kv.put({ key: buf(req.key), value: buf(req.value), prev_kv: req.prevKv ?? false });
      return res.prev_kv ? { revision: revisionOf(res.header), type: 'put', prevKv: toView(res.prev_kv) } : { revision: revisionOf(res.header), type: 'put' };
    }
    case 'delete': {
      const res = await client.kv.deleteRange({ key: buf(req.key), prev_kv: req.prevKv ?? false });
      return { revision: revisionOf(res.header), type: 'delete', deleted: Number(res.deleted), prevKvs: res.prev_kvs.map(toView) };
    }
    case 'txn': {
      const res = await client.kv.txn({
        compare: req.compare.map((c) => ({ key: buf(c.key), result: 'Equal' as const, target: 'Mod' as const, mod_revision: Number(c.value) })),
        success: req.success.map(toRequestOp),
        failure: req.failure.map(toRequestOp),
      });
      const ops = res.succeeded ? req.success : req.failure;
      return { revision: revisionOf(res.header), type: 'txn', succeeded: res.succeeded, responses: res.responses.map((r, i) => toOpResult(ops[i]!, r)) };
    }
  }
}

function toRequestOp(op: KvTxnOp) {
  switch (op.type) {
    case 'range':
      return { request_range: { key: buf(op.key) } };
    case 'put':
      return { request_put: { key: buf(op.key), value: buf(op.value) } };
    case 'delete':
      return { request_delete_range: { key: buf(op.key) } };
  }
}

function toOpResult(op: KvTxnOp, r: IResponseOp): KvOpResult {
  switch (op.type) {
    case 'range':
      return { type: 'range', kvs: r.response_range.kvs.map(toView) };
    case 'put':
      return { type: 'put' };
    case 'delete':
      return { type: 'delete', deleted: Number(r.response_delete_range.deleted) };
  }
}

/** One client's next request; `mods` is what this client last saw of each key. */
function nextRequest(clientId: number, seq: number, mods: Map<string, number>, lastRevision: number): KvRequest {
  const pick = (): string => keys[Math.floor(Math.random() * keys.length)]!;
  const key = pick();
  const value = `c${clientId}-${seq}`;
  const r = Math.random();
  if (r < 0.35) return { type: 'range', key };
  if (r < 0.4 && lastRevision > 2) return { type: 'range', key, revision: lastRevision - 1 };
  if (r < 0.6) return { type: 'put', key, value, prevKv: Math.random() < 0.3 };
  if (r < 0.65) return { type: 'delete', key, prevKv: Math.random() < 0.5 };
  const compare = [{ key, target: 'mod' as const, result: 'equal' as const, value: mods.get(key) ?? 0 }];
  const other = pick();
  const success: KvTxnOp[] = other === key || r < 0.9 ? [{ type: 'put', key, value }] : [{ type: 'put', key, value }, { type: 'delete', key: other }, { type: 'range', key: other }];
  return { type: 'txn', compare, success, failure: [{ type: 'range', key }] };
}

/** Remembers the mod revisions a response showed, for the next CAS. */
function learn(mods: Map<string, number>, req: KvRequest, res: KvResponse): void {
  const views: KvView[] = [];
  if (res.type === 'range') views.push(...res.kvs);
  if (res.type === 'txn') for (const r of res.responses) if (r.type === 'range') views.push(...r.kvs);
  if (res.type === 'range' && res.kvs.length === 0 && req.type === 'range' && !req.revision) mods.set(req.key, 0);
  for (const v of views) mods.set(v.key, v.modRevision);
  if (req.type === 'put' || (req.type === 'txn' && res.type === 'txn' && res.succeeded)) {
    const written = req.type === 'put' ? [req] : req.success.filter((o) => o.type === 'put');
    for (const w of written) mods.set(w.key, res.revision);
  }
}

async function clientLoop(clientId: number, client: Etcd3, history: HistoryRecorder<KvRequest, KvResponse>): Promise<number> {
  const mods = new Map<string, number>();
  let lastRevision = 0;
  let failures = 0;
  for (let seq = 0; seq < opsPerClient; seq++) {
    const req = nextRequest(clientId, seq, mods, lastRevision);
    try {
      const res = await history.record(clientId, req, () => execute(client, req));
      lastRevision = res.revision;
      learn(mods, req, res);
    } catch {
      failures++;
    }
  }
  return failures;
}

/** Replaces the answer of the last current-revision read with the answer of the first one. */
function withStaleRead(ops: readonly Operation<KvRequest, KvResponse>[]): Operation<KvRequest, KvResponse>[] {
  const isRead = (o: Operation<KvRequest, KvResponse>): boolean => o.input.type === 'range' && !o.input.revision;
  const first = ops.findIndex(isRead);
  const last = ops.findLastIndex(isRead);
  assert.ok(first >= 0 && last > first);
  // different revision: true unless nothing was written between them
  assert.notEqual(ops[first]!.output!.revision, ops[last]!.output!.revision);
  return ops.map((o, i) => (i === last ? { ...o, input: ops[first]!.input, output: ops[first]!.output } : o));
}

describe('linearizability of a concurrent KV history', () => {
  test(`${clientCount} clients x ${opsPerClient} ops over two frontends`, async (t) => {
    const start = await clients[0]!.kv.range({ key: buf(keys[0]!) });
    const history = new HistoryRecorder<KvRequest, KvResponse>({ isReadOnly: isReadOnlyKvRequest });
    const began = Date.now();
    const failures = await Promise.all(clients.map((c, i) => clientLoop(i, c, history)));
    const recordMs = Date.now() - began;
    const ops = history.operations();
    const model = createKvModel({ initial: emptyKvState(revisionOf(start.header)) });
    const res = checkLinearizable(ops, model, { timeoutMs: checkTimeoutMs });
    t.diagnostic(`${ops.length} ops recorded in ${recordMs} ms (${failures.reduce((a, b) => a + b, 0)} failed); check ${res.result} in ${res.stats.elapsedMs} ms, ${res.stats.steps} steps`);
    assert.equal(res.result, 'ok', res.result === 'illegal' ? res.reason : undefined);
    assert.equal(ops.length, clientCount * opsPerClient);
    const txns = ops.flatMap((o) => (o.output?.type === 'txn' ? [o.output.succeeded] : []));
    t.diagnostic(`${txns.filter(Boolean).length} txns succeeded, ${txns.filter((x) => !x).length} failed their compare`);

    // negative control on the same data: one read answered as before a write it must have seen
    const mutated = withStaleRead(ops);
    assert.equal(checkLinearizable(mutated, model, { timeoutMs: checkTimeoutMs }).result, 'illegal');
  });
});
