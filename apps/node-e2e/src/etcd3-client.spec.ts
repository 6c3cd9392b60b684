// The `etcd3` npm client against a node with two frontends: KV calls,
// concurrent writers, and the revision sequence they share.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
let clients: Etcd3[] = [];
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
  clients = f.node.endpoints.map((e) => new Etcd3({ hosts: `http://${e}` }));
});
after(async () => {
  for (const c of clients) c.close();
  await f?.stop();
});

describe('etcd3 client against a node', () => {
  test('put, get, getAll().prefix, delete', async () => {
    const [c] = clients as [Etcd3];
    await c.put('js/a').value('1');
    await c.put('js/b').value('2');
    assert.equal(await c.get('js/a').string(), '1');
    assert.deepEqual(await c.getAll().prefix('js/').strings(), { 'js/a': '1', 'js/b': '2' });
    assert.equal(await c.getAll().prefix('js/').count(), 2);
    const del = await c.delete().prefix('js/');
    assert.equal(Number(del.deleted), 2);
    assert.equal(await c.get('js/a').string(), null);
  });

  test('binary keys and values keep their bytes and byte order', async () => {
    const [c] = clients as [Etcd3];
    const keys = [Buffer.from([0x62, 0x00]), Buffer.from([0x62, 0x7f]), Buffer.from([0x62, 0x80]), Buffer.from([0x62, 0xff])];
    for (const k of [...keys].reverse()) await c.put(k).value(Buffer.from([0xde, 0xad, k[1]!]));
    const res = await c.getAll().prefix(Buffer.from([0x62])).exec();
    assert.deepEqual(res.kvs.map((kv) => kv.key), keys);
    assert.deepEqual(res.kvs[3]!.value, Buffer.from([0xde, 0xad, 0xff]));
  });

  test('32 concurrent writers over two frontends: one revision each, no reuse', async () => {
    const writes = Array.from({ length: 32 }, (_, i) => clients[i % 2]!.put(`conc/${i}`).value(`v${i}`).exec());
    const results = await Promise.all(writes);
    const revisions = results.map((r) => Number(r.header.revision)).sort((a, b) => a - b);
    assert.equal(new Set(revisions).size, 32, 'every write has its own revision');
    assert.equal(revisions[31]! - revisions[0]!, 31, 'revisions are consecutive');
    for (const c of clients) assert.equal(await c.getAll().prefix('conc/').count(), 32);
  });

  test('values above the NATS payload limit, up to etcd 1.5 MiB request limit', async () => {
    const [a, b] = clients as [Etcd3, Etcd3];
    const big = Buffer.alloc(1_500_000, 0x61);
    big[big.length - 1] = 0x62;
    await a.put('big').value(big);
    assert.deepEqual(await b.get('big').buffer(), big);
    await assert.rejects(a.put('big').value(Buffer.alloc(1_572_864)).exec(), /etcdserver: request is too large/);
  });

  test('a txn compares and writes atomically', async () => {
    const [c] = clients as [Etcd3];
    await c.put('tx/k').value('old');
    const ok = await c.if('tx/k', 'Value', '==', 'old').then(c.put('tx/k').value('new')).else(c.get('tx/k')).commit();
    assert.equal(ok.succeeded, true);
    const no = await c.if('tx/k', 'Value', '==', 'old').then(c.put('tx/k').value('newer')).else(c.get('tx/k')).commit();
    assert.equal(no.succeeded, false);
    assert.equal(no.responses[0]!.response_range!.kvs[0]!.value.toString(), 'new');
  });
});
