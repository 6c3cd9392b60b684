// The fault and flood rows of docs/ROBUSTNESS.md's catalogue, against a real
// node: Postgres black-holed and reset (through a TCP proxy, since the shared
// Postgres cannot be stopped), SIGKILL of the persister and of the backend
// while it is black-holed, a flood of lease grants and keep-alives beside
// another client's puts, 100,000 live leases, and Txns nested far deeper
// than the conformance harness can encode. After each: no acknowledged
// write lost, the other clients served.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, LeaseClient, LeaseGrantResponse, LeaseLeasesResponse, PutResponse__Output, RangeResponse__Output } from '@eckd/etcd-proto';
import { createTestDatabase, startNatsServer, startNode, startTcpProxy, subjectPrefix } from '@eckd/testing';
import type { EckdNode, NatsServer, TcpProxy, TestDatabase } from '@eckd/testing';
import { peakRssMb } from './process-memory.js';

// Shorter than the defaults (7 s, 5 s) so that a fault costs seconds; the behaviour is the same.
const requestTimeoutMs = 3_000;
const appendTimeoutMs = 1_000;
/** A write after the link is back must be acknowledged within this. */
const resumeBoundMs = 60_000;
/** Concurrent puts sent while Postgres is cut. */
const stalledPuts = 500;
/** Generous: the backend and the persister, with those puts waiting, stay well under this. */
const stalledRssBoundMb = 1_000;
/** Generous: the backend holding 100,000 leases stays well under this. */
const backendRssBoundMb = 1_500;

const timedOut = 'etcdserver: request timed out';

type Callback<Res> = (err: grpc.ServiceError | null, res?: Res) => void;

/** One RPC, no retries (the etcd3 package's retries would hide the node's answers). */
function rpc<Res>(invoke: (options: grpc.CallOptions, cb: Callback<Res>) => void, timeoutMs = 30_000): Promise<Res> {
  return new Promise((resolve, reject) =>
    invoke({ deadline: Date.now() + timeoutMs }, (err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res))),
  );
}

interface Clients {
  kv: KVClient;
  lease: LeaseClient;
  close(): void;
}

function clientsOf(endpoint: string): Clients {
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  const kv = new etcdserverpb.KV(endpoint, grpc.credentials.createInsecure());
  const lease = new etcdserverpb.Lease(endpoint, grpc.credentials.createInsecure());
  return { kv, lease, close: () => (kv.close(), lease.close()) };
}

const put = (c: Clients, key: string, value: string, timeoutMs?: number) =>
  rpc<PutResponse__Output>((o, cb) => c.kv.Put({ key: Buffer.from(key), value: Buffer.from(value) }, o, cb), timeoutMs);
const get = (c: Clients, key: string, serializable: boolean, timeoutMs?: number) =>
  rpc<RangeResponse__Output>((o, cb) => c.kv.Range({ key: Buffer.from(key), serializable }, o, cb), timeoutMs).then((r) => r.kvs[0]?.value.toString());
const grant = (c: Clients, id: number, ttl: number) => rpc<LeaseGrantResponse>((o, cb) => c.lease.LeaseGrant({ ID: id, TTL: ttl }, o, cb));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

describe('robustness: Postgres faults through a proxy, lease floods, deep requests', { timeout: 600_000 }, () => {
  let nats: NatsServer;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let node: EckdNode;
  let client: Clients;
  /** Every write the node acknowledged: key → value. */
  const acked = new Map<string, string>();

  before(async () => {
    nats = await startNatsServer();
    db = await createTestDatabase();
    const direct = new URL(db.url);
    proxy = await startTcpProxy({ targetHost: direct.hostname, targetPort: Number(direct.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    node = await startNode({
      natsUrl: nats.url,
      databaseUrl: viaProxy.toString(),
      subjectPrefix: subjectPrefix(),
      nodeName: 'robustness',
      roleEnv: { frontend: { ECKD_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) }, backend: { ECKD_APPEND_TIMEOUT_MS: String(appendTimeoutMs) } },
    });
    client = clientsOf(node.endpoints[0]!);
  });
  after(async () => {
    client?.close();
    await node?.stop();
    await proxy?.close();
    await Promise.allSettled([nats?.stop(), db?.drop()]);
  });

  const ackedPut = async (key: string, value: string, timeoutMs?: number) => {
    await put(client, key, value, timeoutMs);
    acked.set(key, value);
  };

  /** Retries a put until the node acknowledges it; returns how long that took. */
  const putUntilServed = async (key: string): Promise<number> => {
    const since = Date.now();
    for (;;) {
      try {
        await ackedPut(key, 'after');
        return Date.now() - since;
      } catch (err) {
        if (Date.now() - since > resumeBoundMs) throw err;
        await pause(200);
      }
    }
  };

  /** Latencies of `n` sequential puts over 20 keys under `prefix`, sorted. */
  const putLatencies = async (prefix: string, n: number): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      const since = performance.now();
      await ackedPut(`${prefix}/${i % 20}`, `v${i}`);
      latencies.push(performance.now() - since);
    }
    return latencies.sort((a, b) => a - b);
  };

  const assertNoAckedWriteLost = async () => {
    for (const [key, value] of acked) assert.equal(await get(client, key, false), value, `acknowledged write ${key} is there`);
  };

  for (const mode of ['blackhole', 'reset'] as const) {
    test(`Postgres ${mode}: writes time out, serializable reads serve, writes resume after restore, nothing acknowledged is lost`, async () => {
      for (let i = 0; i < 20; i++) await ackedPut(`pg-${mode}/before/${i}`, `v${i}`);
      proxy.cut(mode);
      try {
        const since = Date.now();
        const failure = await put(client, `pg-${mode}/during`, 'x').then(
          () => undefined,
          (err: grpc.ServiceError) => err,
        );
        const failedAfterMs = Date.now() - since;
        // An acknowledged write is stored; with Postgres gone none can be.
        assert.ok(failure, 'a write is not acknowledged while Postgres is cut');
        assert.equal(failure.details, timedOut);
        const readSince = Date.now();
        assert.equal(await get(client, `pg-${mode}/before/3`, true, 2_000), 'v3');
        const serializableReadMs = Date.now() - readSince;
        const linearizable = await get(client, `pg-${mode}/before/4`, false, requestTimeoutMs + 1_000).then(
          (v) => `served (${v})`,
          (err: grpc.ServiceError) => `failed: ${err.details}`,
        );
        // Writes keep coming while Postgres is gone: they wait in bounded queues and time out.
        const waiting = await Promise.allSettled(Array.from({ length: stalledPuts }, (_, i) => put(client, `pg-${mode}/stalled/${i}`, 'x'.repeat(10_000))));
        const stalledRssMb = { backend: rssMb(node.processes.backend.pid), persister: rssMb(node.processes.persister.pid) };
        assert.equal(waiting.filter((w) => w.status === 'fulfilled').length, 0, 'no write acknowledged while Postgres is cut');
        for (const [role, mb] of Object.entries(stalledRssMb)) assert.ok(mb < stalledRssBoundMb, `${role} RSS ${mb} MB under ${stalledRssBoundMb} MB`);
        console.log(
          `robustness: Postgres ${mode}: put failed after ${failedAfterMs} ms (${failure.details}); serializable read ${serializableReadMs} ms; linearizable read ${linearizable}; ` +
            `after ${stalledPuts} more puts of 10 KB timed out: backend RSS ${stalledRssMb.backend.toFixed(0)} MB, persister ${stalledRssMb.persister.toFixed(0)} MB`,
        );
      } finally {
        proxy.restore();
      }
      const resumedMs = await putUntilServed(`pg-${mode}/after`);
      console.log(`robustness: Postgres ${mode}: writes served again ${resumedMs} ms after restore`);
      await assertNoAckedWriteLost();
    });
  }

  for (const role of ['persister', 'backend'] as const) {
    test(`SIGKILL of the ${role} while Postgres is black-holed`, async () => {
      for (let i = 0; i < 10; i++) await ackedPut(`kill-${role}/before/${i}`, `v${i}`);
      proxy.cut('blackhole');
      const proc = node.processes[role];
      try {
        // Writes in flight when the process dies: their outcome is unknown to the client, as in etcd.
        const inFlight = Array.from({ length: 5 }, (_, i) => ackedPut(`kill-${role}/inflight/${i}`, `v${i}`).catch(() => undefined));
        await pause(500);
        proc.kill('SIGKILL');
        await proc.exited;
        await Promise.all(inFlight);
      } finally {
        proxy.restore();
      }
      await proc.restart();
      const resumedMs = await putUntilServed(`kill-${role}/after`);
      console.log(`robustness: ${role} killed while Postgres was black-holed: writes served ${resumedMs} ms after the restart`);
      await assertNoAckedWriteLost();
    });
  }

  test('a flood of 10,000 lease grants and keep-alives from one client; another client is served', async () => {
    const flooder = clientsOf(node.endpoints[0]!);
    const other = clientsOf(node.endpoints[0]!);
    const leaseIdBase = 5_000_000;
    const leaseCount = 10_000;
    const concurrency = 200;
    let flooding = true;
    let othersPuts = 0;
    let othersSlowestMs = 0;
    const floodSince = Date.now();
    const otherWriter = (async () => {
      for (let n = 0; flooding; n++) {
        const since = Date.now();
        await put(other, `flood/other/${n % 50}`, `v${n}`, 10_000);
        othersSlowestMs = Math.max(othersSlowestMs, Date.now() - since);
        acked.set(`flood/other/${n % 50}`, `v${n}`);
        othersPuts++;
      }
    })();
    try {
      let next = 0;
      const granter = async () => {
        for (let i = next++; i < leaseCount; i = next++) await grant(flooder, leaseIdBase + i, 600);
      };
      await Promise.all(Array.from({ length: concurrency }, granter));
      // Keep-alives: every lease once, on one stream, all written at once.
      const stream = flooder.lease.LeaseKeepAlive();
      let answered = 0;
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', () => ++answered === leaseCount && resolve());
        stream.on('error', reject);
      });
      for (let i = 0; i < leaseCount; i++) stream.write({ ID: leaseIdBase + i });
      await done;
      stream.end();
      assert.equal(answered, leaseCount);
    } finally {
      flooding = false;
      await otherWriter;
    }
    assert.ok(othersPuts > 0, 'the other client was served during the flood');
    console.log(
      `robustness: flood of ${leaseCount} grants + ${leaseCount} keep-alives took ${Date.now() - floodSince} ms; the other client's puts served meanwhile: ${othersPuts}, slowest ${othersSlowestMs} ms`,
    );
    flooder.close();
    other.close();
    await assertNoAckedWriteLost();
  });

  test('100,000 live leases: backend memory and put latency', async () => {
    const leaseIdBase = 10_000_000;
    const leaseCount = 100_000;
    const backendPid = node.processes.backend.pid;
    const rssBeforeMb = rssMb(backendPid);
    const quiet = await putLatencies('leases100k/quiet', 500);
    let next = 0;
    const granter = async () => {
      for (let i = next++; i < leaseCount; i = next++) await grant(client, leaseIdBase + i, 3_600);
    };
    const grantSince = Date.now();
    await Promise.all(Array.from({ length: 200 }, granter));
    const grantMs = Date.now() - grantSince;
    const latencies = await putLatencies('leases100k/alive', 500);
    const listed = (await rpc<LeaseLeasesResponse>((o, cb) => client.lease.LeaseLeases({}, o, cb))).leases ?? [];
    assert.ok(listed.length >= leaseCount, `${listed.length} leases listed`);
    const rssAfterMb = rssMb(backendPid);
    const peakMb = peakRssMb(backendPid);
    console.log(
      `robustness: ${leaseCount} leases granted in ${grantMs} ms; backend RSS ${rssBeforeMb.toFixed(0)} MB before, ${rssAfterMb.toFixed(0)} MB after (peak ${peakMb.toFixed(0)} MB); ` +
        `500 sequential puts: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (before the leases: p50 ${percentile(quiet, 50).toFixed(1)} ms, p99 ${percentile(quiet, 99).toFixed(1)} ms)`,
    );
    assert.ok(rssAfterMb < backendRssBoundMb, `backend RSS ${rssAfterMb} MB under ${backendRssBoundMb} MB`);
    await assertNoAckedWriteLost();
  });

  // etcd counts every level against --max-txn-ops (128), so each of these is
  // refused with TooManyOps; eckd's protobuf decoder gives up first (see the catalogue).
  for (const depth of [1_000, 10_000, 100_000]) {
    test(`a Txn nested ${depth} levels deep is refused, nothing applied, and the node serves on`, async () => {
      const refusal = await rawUnary(node.endpoints[0]!, '/etcdserverpb.KV/Txn', nestedTxnBytes(depth)).then(
        () => undefined,
        (err: grpc.ServiceError) => `${grpc.status[err.code]} "${err.details}"`,
      );
      console.log(`robustness: Txn nested ${depth} levels: ${refusal}`);
      assert.ok(refusal, 'refused');
      assert.equal(await get(client, `nested/${depth}`, false), undefined, 'its put is not applied');
      await ackedPut(`nested/${depth}/after`, 'served');
      await assertNoAckedWriteLost();
    });
  }
});

// Protobuf wire form, written by hand: the generated encoders recurse once per level.
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
const lengthDelimited = (field: number, body: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);

/** TxnRequest{success: [RequestOp{request_txn: ...}]} `depth` levels, the innermost putting nested/<depth>. */
function nestedTxnBytes(depth: number): Buffer {
  const putRequest = Buffer.concat([lengthDelimited(1, Buffer.from(`nested/${depth}`)), lengthDelimited(2, Buffer.from('v'))]);
  let txn = lengthDelimited(2, lengthDelimited(2, putRequest)); // TxnRequest.success = [RequestOp.request_put]
  for (let level = 1; level < depth; level++) txn = lengthDelimited(2, lengthDelimited(4, txn)); // success = [RequestOp.request_txn]
  return txn;
}

/** A unary call with the request already encoded; the answer is not decoded. */
function rawUnary(endpoint: string, path: string, request: Buffer): Promise<Buffer> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000 },
      (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res)),
    );
  }).finally(() => client.close());
}
