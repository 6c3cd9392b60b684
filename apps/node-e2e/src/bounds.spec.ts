// Abusive but legal clients (docs/ROBUSTNESS.md "Limits"): a burst of large
// puts, a Txn of 128 full-range reads over ~20 MB of keys, and a full apply
// queue. The node keeps serving other clients, answers with etcd's errors,
// loses no acknowledged write, and the backend's memory stays bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, PutResponse__Output, RangeResponse__Output, RequestOp, TxnResponse__Output } from '@eckd/etcd-proto';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { peakRssMb } from './process-memory.js';

/** etcd's request limit is 1.5 MiB: each put of the burst is just under it. */
const burstValueBytes = 1.4 * 1024 * 1024;
const burstPuts = 40;
/** ~20 MB of keys for the full-range txn. */
const bulkKeys = 200;
const bulkValueBytes = 100 * 1024;
const txnRanges = 128;
/** The backend holds the ~20 MB twice (index and document) plus its runtime; 2.5 GB of replies must not be built. */
const backendPeakRssBoundMb = 600;

/** The frontend's reply bound in the small-bounds node. */
const responseBytesMax = 64 * 1024;

const everything = { key: Buffer.from([0]), range_end: Buffer.from([0]) };

/**
 * A plain etcd KV client: every call is one RPC, without the retries and
 * circuit breaker of the etcd3 package, which would hide the node's answers.
 */
class Kv {
  readonly #client: KVClient;
  constructor(endpoint: string) {
    this.#client = new (loadEtcdGrpc().grpcObject.etcdserverpb.KV)(endpoint, grpc.credentials.createInsecure());
  }
  put(key: string, value: Buffer | string): Promise<PutResponse__Output> {
    return new Promise((resolve, reject) => this.#client.Put({ key: Buffer.from(key), value: Buffer.from(value) }, settle(resolve, reject)));
  }
  async get(key: string): Promise<Buffer | undefined> {
    const res = await new Promise<RangeResponse__Output>((resolve, reject) => this.#client.Range({ key: Buffer.from(key) }, settle(resolve, reject)));
    return res.kvs[0]?.value;
  }
  txn(success: RequestOp[]): Promise<TxnResponse__Output> {
    return new Promise((resolve, reject) => this.#client.Txn({ compare: [], success, failure: [] }, settle(resolve, reject)));
  }
  close(): void {
    this.#client.close();
  }
}

function settle<T>(resolve: (value: T) => void, reject: (err: Error) => void): (err: grpc.ServiceError | null, res?: T) => void {
  return (err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res));
}

describe('bounds under abusive clients', { timeout: 300_000 }, () => {
  let fx: NodeFixture;
  let client: Kv;
  before(async () => {
    fx = await startNodeFixture({ nodeName: 'bounds' });
    client = new Kv(fx.node.endpoints[0]!);
  });
  after(async () => {
    client?.close();
    await fx?.stop();
  });

  test(`a burst of ${burstPuts} concurrent 1.4 MiB puts: writes go on and every acknowledged put is readable`, async (t) => {
    const value = Buffer.alloc(burstValueBytes, 'b');
    const started = Date.now();
    const outcomes = await Promise.allSettled(Array.from({ length: burstPuts }, (_, i) => client.put(`burst/${i}`, value)));
    const acked = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    t.diagnostic(`${acked.length}/${burstPuts} acknowledged in ${Date.now() - started} ms`);
    assert.ok(acked.length > 0, 'no put of the burst was acknowledged');
    // Writes are served afterwards (before the bounds, the node stopped writing until restart).
    for (let i = 0; i < 20; i++) await client.put(`after-burst/${i}`, Buffer.alloc(100 * 1024, 'a'));
    assert.equal(String(await client.get('after-burst/19')).length, 100 * 1024);
    for (const i of acked) {
      const stored = await client.get(`burst/${i}`);
      assert.ok(stored?.equals(value), `acknowledged burst/${i} is not readable`);
    }
  });

  test(`a Txn of ${txnRanges} full-range reads over ~20 MB is refused with grpc's size error; other puts go on; the backend stays under ${backendPeakRssBoundMb} MB`, async (t) => {
    const value = Buffer.alloc(bulkValueBytes, 'v');
    for (let i = 0; i < bulkKeys; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => client.put(`bulk/${String(i + j).padStart(4, '0')}`, value)));
    }
    const reads: RequestOp[] = Array.from({ length: txnRanges }, () => ({ request_range: everything }));
    let running = true;
    let served = 0;
    const otherClient = async () => {
      for (let n = 0; running; n++) {
        await client.put(`other/${n % 10}`, String(n));
        served++;
      }
    };
    const others = otherClient();
    try {
      // Read-only: served by the frontend from its replica.
      await assert.rejects(client.txn(reads), /trying to send message larger than max \(\d+ vs\. \d+\)/);
      // With a put it is a write: the backend applies it and refuses the reply, as etcd does.
      const write: RequestOp[] = [{ request_put: { key: Buffer.from('txn-put'), value: Buffer.from('1') } }, ...reads.slice(1)];
      await assert.rejects(client.txn(write), /trying to send message larger than max \(\d+ vs\. \d+\)/);
    } finally {
      running = false;
      await others;
    }
    assert.ok(served > 0, 'no other put was served meanwhile');
    assert.equal(String(await client.get('txn-put')), '1');
    const peak = peakRssMb(fx.node.processes.backend.pid);
    t.diagnostic(`backend peak RSS ${peak.toFixed(0)} MB; ${served} other puts served meanwhile`);
    assert.ok(peak < backendPeakRssBoundMb, `backend peak RSS ${peak.toFixed(0)} MB, bound ${backendPeakRssBoundMb} MB`);
    assert.ok(fx.node.processes.backend.running && fx.node.processes.frontends[0]!.running, 'a process exited');
  });
});

describe('small bounds set by env', { timeout: 120_000 }, () => {
  let fx: NodeFixture;
  let client: Kv;
  before(async () => {
    fx = await startNodeFixture({
      nodeName: 'queue',
      roleEnv: { backend: { ECKD_APPLY_QUEUE_MAX: '2' }, frontend: { ECKD_MAX_RESPONSE_BYTES: String(responseBytesMax) } },
    });
    client = new Kv(fx.node.endpoints[0]!);
  });
  after(async () => {
    client?.close();
    await fx?.stop();
  });

  test('requests beyond ECKD_APPLY_QUEUE_MAX are refused with etcdserver: too many requests, and the node goes on', async () => {
    // Each put is over the frontend's proposal byte bound, so each travels as a request of its own.
    const value = Buffer.alloc(300 * 1024, 'q');
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.put(`queue/${i}`, value)));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    assert.ok(refused.length > 0, 'no request was refused');
    for (const o of refused) assert.match(String((o as PromiseRejectedResult).reason), /etcdserver: too many requests/);
    await client.put('after-queue', 'ok');
    assert.equal(String(await client.get('after-queue')), 'ok');
  });

  test('a Range whose reply is over ECKD_MAX_RESPONSE_BYTES gets grpc\'s size error; a smaller one is served', async () => {
    await client.put('big', Buffer.alloc(responseBytesMax, 'r'));
    await assert.rejects(client.get('big'), /^Error: 8 RESOURCE_EXHAUSTED: grpc: trying to send message larger than max \(\d+ vs\. 65536\)$/);
    assert.equal(String(await client.get('after-queue')), 'ok');
  });
});
