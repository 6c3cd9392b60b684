// The classic lost-update test: 16 clients over two frontends increment one
// counter with read / compare mod_revision / put, retrying on conflict. If
// two compares ever succeeded against the same revision an increment would
// be lost, and the final value would fall short of the successful txns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { IKeyValue } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

const clientCount = 16;
const incrementsPerClient = 25;
const counterKey = Buffer.from('counter/value');

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

interface Increment {
  /** the value written */
  value: number;
  /** the revision of the successful txn */
  revision: number;
}

/** What a client last saw of the counter: its value and mod revision (0 while absent). */
function seenOf(kv: IKeyValue | undefined): { value: number; mod: string } {
  return kv === undefined ? { value: 0, mod: '0' } : { value: Number(kv.value.toString()), mod: kv.mod_revision };
}

/** Increments the counter `times` times; returns the successful txns and how many compares failed. */
async function incrementLoop(client: Etcd3, times: number): Promise<{ done: Increment[]; conflicts: number }> {
  const done: Increment[] = [];
  let conflicts = 0;
  let seen = seenOf((await client.kv.range({ key: counterKey })).kvs[0]);
  while (done.length < times) {
    const value = seen.value + 1;
    const res = await client.kv.txn({
      compare: [{ key: counterKey, target: 'Mod', result: 'Equal', mod_revision: seen.mod }],
      success: [{ request_put: { key: counterKey, value: Buffer.from(String(value)) } }],
      failure: [{ request_range: { key: counterKey } }],
    });
    if (res.succeeded) {
      done.push({ value, revision: Number(res.header.revision) });
      seen = { value, mod: res.header.revision };
    } else {
      conflicts++;
      seen = seenOf(res.responses[0]!.response_range.kvs[0]);
    }
  }
  return { done, conflicts };
}

describe('counter with compare-and-swap increments', () => {
  test(`${clientCount} clients x ${incrementsPerClient} increments over two frontends lose nothing`, async (t) => {
    const started = Date.now();
    const results = await Promise.all(clients.map((c) => incrementLoop(c, incrementsPerClient)));
    const increments = results.flatMap((r) => r.done);
    const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
    const total = clientCount * incrementsPerClient;

    const final = await clients[1]!.get('counter/value').string();
    assert.equal(Number(final), total, 'final value = number of successful increments');
    const revisions = increments.map((i) => i.revision);
    assert.equal(new Set(revisions).size, total, 'every successful txn has its own revision');
    // in revision order the written values must be exactly 1, 2, …, total
    const byRevision = [...increments].sort((a, b) => a.revision - b.revision);
    assert.deepEqual(
      byRevision.map((i) => i.value),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    t.diagnostic(`${total} increments, ${conflicts} compare failures, ${Date.now() - started} ms`);
  });
});
