// Replication factors (docs/ARCHITECTURE.md §3) on three members with two
// frontends each: external factor 2 acknowledges a write only once both
// other members hold its change in their Postgres, and times out with
// etcd's "request timed out" when one of them cannot be reached; internal
// factor 2 acknowledges only once the node's other frontend applied it.
// Also prints put p50 and p99 at external factor 0, 1 and 2 (docs/BENCHMARKS.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, PutResponse__Output, RangeResponse__Output } from '@eckd/etcd-proto';
import pg from 'pg';
import { startCluster } from '@eckd/testing';
import type { Cluster } from '@eckd/testing';

const members = 3;
const requestTimeoutMs = 3_000;
const timedOut = 'etcdserver: request timed out';
/** Puts per factor for the latency figures. */
const measuredPuts = 200;

let cluster: Cluster;
/** kv[member][frontend] */
let kv: KVClient[][] = [];

before(async () => {
  const names = Array.from({ length: members }, (_, i) => `node${i + 1}`);
  cluster = await startCluster({
    nodes: members,
    frontends: 2,
    jetstream: false,
    env: { ECKD_REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    nodeEnv: () => ({ ECKD_INITIAL_CLUSTER: names.join(',') }),
  });
  const { etcdserverpb } = loadEtcdGrpc().grpcObject;
  kv = cluster.members.map((m) => m.endpoints.map((e) => new etcdserverpb.KV(e, grpc.credentials.createInsecure())));
}, { timeout: 180_000 });

after(async () => {
  for (const c of kv.flat()) c.close();
  await cluster?.stop();
});

function metadataOf(factors: { internal?: number; external?: number }): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (factors.internal !== undefined) metadata.set('eckd-internal-factor', String(factors.internal));
  if (factors.external !== undefined) metadata.set('eckd-external-factor', String(factors.external));
  return metadata;
}

/** One Put, no retries, with the factors in its metadata; resolves with the write's revision. */
function put(member: number, key: string, factors: { internal?: number; external?: number }, frontend = 0): Promise<number> {
  return new Promise((resolve, reject) =>
    kv[member]![frontend]!.Put({ key: Buffer.from(key), value: Buffer.from('v') }, metadataOf(factors), { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res?: PutResponse__Output) =>
      err || !res ? reject(err ?? new Error('no response')) : resolve(Number(res.header!.revision)),
    ),
  );
}

function serializableGet(member: number, frontend: number, key: string): Promise<string | undefined> {
  return new Promise((resolve, reject) =>
    kv[member]![frontend]!.Range({ key: Buffer.from(key), serializable: true }, (err: grpc.ServiceError | null, res?: RangeResponse__Output) =>
      err || !res ? reject(err ?? new Error('no response')) : resolve(res.kvs[0]?.value.toString()),
    ),
  );
}

async function query<Row extends pg.QueryResultRow>(member: number, sql: string, params: unknown[]): Promise<Row[]> {
  const db = new pg.Client({ connectionString: cluster.member(member).database.url });
  await db.connect();
  try {
    return (await db.query<Row>(sql, params)).rows;
  } finally {
    await db.end();
  }
}

/** Whether `member`'s Postgres holds the Automerge change member 0 stored for its revision `revision`. */
async function holdsChangeOf(member: number, revision: number): Promise<boolean> {
  const [own] = await query<{ actor: Buffer; seq: string }>(0, 'select actor, seq from eckd_changes where revision = $1', [revision]);
  assert.ok(own, `member 0 stored a change for revision ${revision}`);
  return (await query(member, 'select 1 from eckd_changes where actor = $1 and seq = $2', [own.actor, own.seq])).length === 1;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! * 10) / 10;
}

describe('replication factors', () => {
  test('a malformed factor in metadata is INVALID_ARGUMENT', async () => {
    await assert.rejects(put(0, 'factors/bad', { external: -1 }), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /eckd-external-factor/.test(err.details));
  });

  test('external factor 2: acknowledged once both other members hold the change in Postgres', async () => {
    for (let i = 0; i < 5; i++) {
      const revision = await put(0, `factors/ext2/${i}`, { external: 2 });
      assert.ok(await holdsChangeOf(1, revision), `member 1 stored revision ${revision} before the ack`);
      assert.ok(await holdsChangeOf(2, revision), `member 2 stored revision ${revision} before the ack`);
    }
  });

  test('internal factor 2: acknowledged once the node\'s other frontend applied it', async () => {
    for (let i = 0; i < 20; i++) {
      const key = `factors/int2/${i}`;
      await put(0, key, { internal: 2 });
      assert.equal(await serializableGet(0, 1, key), 'v', `frontend 1 serves ${key} right after the ack`);
    }
  });

  test('put p50 and p99 at external factor 0, 1, 2', async () => {
    const figures: Record<string, { p50: number; p99: number }> = {};
    for (const external of [0, 1, 2]) {
      const samples: number[] = [];
      for (let i = 0; i < measuredPuts; i++) {
        const started = performance.now();
        await put(0, `factors/bench/${external}/${i}`, { external });
        samples.push(performance.now() - started);
      }
      figures[`external ${external}`] = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
    }
    console.log(`put latency ms (${measuredPuts} sequential puts on member 0, 3 members): ${JSON.stringify(figures)}`);
  });

  test('member 2 cut off: external factor 2 times out, factor 1 is acknowledged', async () => {
    await cluster.partition([[0, 1], [2]]);
    try {
      await put(0, 'factors/cut/1', { external: 1 });
      await assert.rejects(put(0, 'factors/cut/2', { external: 2 }), (err: grpc.ServiceError) => err.details === timedOut);
      // The write stands: it was committed on member 0 before the factor was waited for.
      assert.equal(await serializableGet(0, 0, 'factors/cut/2'), 'v');
    } finally {
      await cluster.heal();
    }
  });
});
