// The frontend's bounds (docs/ROBUSTNESS.md "Limits") against a real node:
// watchers per stream, concurrent streams per connection, clients that never
// read a watch or keep-alive stream, and a Snapshot read slowly. Correctness
// and memory bounds only; the figures go to docs/ROBUSTNESS.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, LeaseClient, MaintenanceClient, WatchClient, WatchRequest, WatchResponse__Output } from '@eckd/etcd-proto';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { peakRssMb, rssMb } from './process-memory.js';

const etcdserverpb = () => loadEtcdGrpc().grpcObject.etcdserverpb;
const insecure = () => grpc.credentials.createInsecure();
/** grpc-js shares one connection per target between clients unless told not to. */
const ownConnection = { 'grpc.use_local_subchannel_pool': 1 };

const watchersPerStreamMax = 100;
const maxConcurrentStreams = 8;
const stalledWrites = 10_000;
const writeConcurrency = 32;
/** What the frontend may grow to while a client never reads (the replica's own growth with the writes included). */
const stalledFrontendRssBoundMb = 400;
const snapshotPuts = 300;
const snapshotValueBytes = 100 * 1024;
/** The persister's peak growth while it streams a backup of over 100 MB (before, it grew by three times the file). */
const snapshotPersisterGrowthBoundMb = 128;
const snapshotFrontendGrowthBoundMb = 80;

const buf = (s: string) => Buffer.from(s);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function unaryCall<T>(call: (cb: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res))));
}

/** Polls `condition` until it holds; fails after `ms` with `what`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Peak of a process's resident memory while `work` runs, sampled every 100 ms. */
async function sampledPeakRssMb(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssMb(pid));
}

/** One Watch stream with every response it got. */
class WatchRecorder {
  readonly responses: WatchResponse__Output[] = [];
  readonly call: grpc.ClientDuplexStream<WatchRequest, WatchResponse__Output>;
  constructor(client: WatchClient) {
    this.call = client.Watch();
    this.call.on('data', (r: WatchResponse__Output) => this.responses.push(r));
    this.call.on('error', () => undefined); // ended by the test
  }
  create(prefix: string): void {
    this.call.write({ create_request: { key: buf(prefix), range_end: buf(`${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`) } });
  }
  get created(): WatchResponse__Output[] {
    return this.responses.filter((r) => r.created);
  }
  get eventRevisions(): number[] {
    return this.responses.flatMap((r) => r.events.map((e) => Number(e.kv!.mod_revision)));
  }
}

/** `count` puts under `prefix`, `concurrency` at a time; their revisions. */
async function putMany(kv: KVClient, prefix: string, count: number, value: Buffer, concurrency = writeConcurrency): Promise<number[]> {
  const revisions: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const res = await unaryCall<{ header: { revision: string } | null }>((cb) => kv.Put({ key: buf(`${prefix}${i}`), value }, cb));
        revisions.push(Number(res.header!.revision));
      }
    }),
  );
  return revisions.sort((a, b) => a - b);
}

describe('frontend bounds', { timeout: 600_000 }, () => {
  let fx: NodeFixture;
  let endpoint: string;
  let kv: KVClient;
  let frontendPid: number;
  before(async () => {
    fx = await startNodeFixture({
      nodeName: 'boundsfe',
      roleEnv: { frontend: { ECKD_WATCHERS_PER_STREAM_MAX: String(watchersPerStreamMax) } },
      frontendArgs: [`--max-concurrent-streams=${maxConcurrentStreams}`],
    });
    endpoint = fx.node.endpoints[0]!;
    kv = new (etcdserverpb().KV)(endpoint, insecure(), ownConnection);
    frontendPid = fx.node.processes.frontends[0]!.pid;
  });
  after(async () => {
    kv?.close();
    await fx?.stop();
  });

  test(`watch ${watchersPerStreamMax + 1} on one stream: the last create is answered created and canceled, as etcd answers a create it cannot serve`, async () => {
    const client = new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection);
    const stream = new WatchRecorder(client);
    for (let i = 0; i <= watchersPerStreamMax; i++) stream.create('limit/');
    await until(() => stream.created.length === watchersPerStreamMax + 1, 15_000, 'every create answered');
    const refused = stream.created.at(-1)!;
    assert.equal(refused.canceled, true);
    assert.equal(refused.cancel_reason, 'etcdserver: too many requests');
    assert.equal(refused.watch_id, '-1');
    assert.ok(stream.created.slice(0, -1).every((r) => !r.canceled));
    // The watchers it holds still work, and a cancel makes room.
    await unaryCall((cb) => kv.Put({ key: buf('limit/x'), value: buf('1') }, cb));
    await until(() => stream.eventRevisions.length === watchersPerStreamMax, 10_000, 'the event on every watcher');
    stream.call.write({ cancel_request: { watch_id: 0 } });
    stream.create('limit/');
    await until(() => stream.created.length === watchersPerStreamMax + 2, 10_000, 'the create after a cancel');
    assert.equal(stream.created.at(-1)!.canceled, false);
    stream.call.end();
    client.close();
  });

  test(`--max-concurrent-streams=${maxConcurrentStreams}: a further call on the connection waits for a free stream; other connections are served`, async () => {
    const watchClient = new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection);
    const sameConnection = new (etcdserverpb().KV)(endpoint, insecure(), { channelOverride: watchClient.getChannel() });
    const streams = Array.from({ length: maxConcurrentStreams }, () => new WatchRecorder(watchClient));
    streams.forEach((s) => s.create('streams/'));
    await until(() => streams.every((s) => s.created.length === 1), 10_000, 'a watch on every stream');
    const range = (client: KVClient, deadlineMs: number) => unaryCall((cb) => client.Range({ key: buf('streams/') }, { deadline: Date.now() + deadlineMs }, cb));
    await assert.rejects(range(sameConnection, 1_500), { code: grpc.status.DEADLINE_EXCEEDED });
    await range(kv, 5_000);
    streams[0]!.call.end();
    await until(() => streams[0]!.call.closed || streams[0]!.call.destroyed, 5_000, 'the first stream closed');
    await range(sameConnection, 5_000);
    streams.forEach((s) => s.call.end());
    watchClient.close();
  });

  test(`a watch stream that never reads while ${stalledWrites} puts happen: the frontend stays under ${stalledFrontendRssBoundMb} MB, others are served, and it gets every event once it reads`, async (t) => {
    const stalledClient = new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection);
    const readerClient = new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection);
    const stalled = new WatchRecorder(stalledClient);
    const reader = new WatchRecorder(readerClient);
    stalled.create('stall/');
    reader.create('stall/');
    await until(() => stalled.created.length === 1 && reader.created.length === 1, 10_000, 'both watches created');
    stalled.call.pause();
    const before = rssMb(frontendPid);
    let revisions: number[] = [];
    const peak = await sampledPeakRssMb(frontendPid, async () => {
      revisions = await putMany(kv, 'stall/', stalledWrites, Buffer.alloc(1024, 's'));
      await until(() => reader.eventRevisions.length === stalledWrites, 60_000, 'every event at the reading watcher');
    });
    t.diagnostic(`frontend RSS: ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB while ${stalledWrites} puts of 1 KiB went to a stalled and a reading watcher`);
    assert.deepEqual(reader.eventRevisions, revisions);
    assert.ok(peak < stalledFrontendRssBoundMb, `frontend peak RSS ${peak.toFixed(0)} MB`);
    stalled.call.resume();
    await until(() => stalled.eventRevisions.length === stalledWrites, 120_000, 'every event at the stalled watcher once it reads');
    assert.deepEqual(stalled.eventRevisions, revisions);
    stalled.call.end();
    reader.call.end();
    stalledClient.close();
    readerClient.close();
  });

  test(`a keep-alive stream that never reads: the frontend stops reading it, stays under ${stalledFrontendRssBoundMb} MB, others are served, and every keep-alive is answered once it reads`, async (t) => {
    const lease: LeaseClient = new (etcdserverpb().Lease)(endpoint, insecure(), ownConnection);
    const { ID: id } = await unaryCall<{ ID: string }>((cb) => lease.LeaseGrant({ TTL: 600 }, cb));
    const call = lease.LeaseKeepAlive();
    let answered = 0;
    call.on('data', () => answered++);
    // An error ends the stream: kept for the failure message, since no answer would come after it.
    let streamError: unknown;
    call.on('error', (err) => (streamError = err));
    call.pause();
    let written = 0;
    const before = rssMb(frontendPid);
    const peak = await sampledPeakRssMb(frontendPid, async () => {
      // Write until the server stops taking requests (no drain within 3 s).
      for (;;) {
        while (call.write({ ID: id })) written++;
        written++;
        const drained = await Promise.race([new Promise((resolve) => call.once('drain', () => resolve(true))), sleep(3_000).then(() => false)]);
        if (!drained) break;
      }
      // Meanwhile others are served: a put and a grant on other connections.
      await unaryCall((cb) => kv.Put({ key: buf('keepalive/other'), value: buf('1') }, cb));
      const other: LeaseClient = new (etcdserverpb().Lease)(endpoint, insecure(), ownConnection);
      await unaryCall((cb) => other.LeaseGrant({ TTL: 10 }, cb));
      other.close();
    });
    t.diagnostic(`frontend RSS: ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB; the server stopped reading after ${written} keep-alives written, none read`);
    assert.ok(peak < stalledFrontendRssBoundMb, `frontend peak RSS ${peak.toFixed(0)} MB`);
    call.resume();
    // Answering ~70,000 keep-alives takes about a minute on a quiet machine
    // and longer beside other specs, so what is asserted is progress: the
    // answers keep coming until all are in, without a stall of 30 s.
    for (let before = -1; answered < written && streamError === undefined && answered > before; ) {
      before = answered;
      await until(() => answered > before || answered === written || streamError !== undefined, 30_000, `keep-alive answers to go past ${before} of ${written}`).catch(() => undefined);
    }
    assert.equal(streamError, undefined, `the keep-alive stream failed after ${answered} of ${written} answers`);
    assert.equal(answered, written, `keep-alives answered: ${answered} of ${written}, then none for 30 s`);
    call.end();
    lease.close();
  });

  test(`Snapshot of ~${(snapshotPuts * snapshotValueBytes) / 2 ** 20} MB of values, read slowly: persister and frontend memory stay bounded, the file is whole`, async (t) => {
    await putMany(kv, 'snap/', snapshotPuts, Buffer.alloc(snapshotValueBytes, 'v'), 8);
    const persisterPid = fx.node.processes.persister.pid;
    const persisterPeakBefore = peakRssMb(persisterPid);
    const maintenance: MaintenanceClient = new (etcdserverpb().Maintenance)(endpoint, insecure(), ownConnection);
    const blobs: Buffer[] = [];
    const frontendBefore = rssMb(frontendPid);
    const frontendPeak = await sampledPeakRssMb(frontendPid, async () => {
      const call = maintenance.Snapshot({});
      call.on('data', (r: { blob: Buffer }) => {
        blobs.push(r.blob);
        // The first blob, then nothing for 5 s: the frontend must hold back, not buffer the backup.
        if (blobs.length === 1) {
          call.pause();
          setTimeout(() => call.resume(), 5_000);
        }
      });
      await new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
    });
    const persisterPeakAfter = peakRssMb(persisterPid);
    const file = Buffer.concat(blobs.slice(0, -1));
    t.diagnostic(
      `snapshot ${(file.length / 2 ** 20).toFixed(1)} MB; persister peak RSS ${persisterPeakBefore.toFixed(0)} -> ${persisterPeakAfter.toFixed(0)} MB; ` +
        `frontend RSS ${frontendBefore.toFixed(0)} MB, peak ${frontendPeak.toFixed(0)} MB`,
    );
    assert.deepEqual(blobs.at(-1), createHash('sha256').update(file).digest());
    assert.equal(file.length % 512, 0);
    assert.ok(file.length > (snapshotPuts * snapshotValueBytes) / 2, `a ${file.length}-byte file holds the values`);
    assert.ok(persisterPeakAfter - persisterPeakBefore < snapshotPersisterGrowthBoundMb, `persister peak grew ${(persisterPeakAfter - persisterPeakBefore).toFixed(0)} MB`);
    assert.ok(frontendPeak - frontendBefore < snapshotFrontendGrowthBoundMb, `frontend grew ${(frontendPeak - frontendBefore).toFixed(0)} MB`);
    maintenance.close();
  });
});

const idleWatchers = 10_000;
/** --max-concurrent-streams's default: the streams of one connection. */
const streamsPerConnection = 1000;
const idleWatchersFrontendRssBoundMb = 500;

describe(`frontend memory with ${idleWatchers} idle watchers (default limits)`, { timeout: 600_000 }, () => {
  let fx: NodeFixture;
  let endpoint: string;
  let frontendPid: number;
  before(async () => {
    fx = await startNodeFixture({ nodeName: 'idlewatch' });
    endpoint = fx.node.endpoints[0]!;
    frontendPid = fx.node.processes.frontends[0]!.pid;
  });
  after(() => fx?.stop());

  test(`${idleWatchers} watchers on one stream, then one stream each: the frontend stays under ${idleWatchersFrontendRssBoundMb} MB`, async (t) => {
    const idle = rssMb(frontendPid);
    const client = new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection);
    const one = new WatchRecorder(client);
    for (let i = 0; i < idleWatchers; i++) one.create(`idle/${i}/`);
    await until(() => one.created.length === idleWatchers, 60_000, `${idleWatchers} watches on one stream`);
    await sleep(1_000);
    const oneStream = rssMb(frontendPid);
    one.call.end();
    client.close();

    const clients = Array.from({ length: idleWatchers / streamsPerConnection }, () => new (etcdserverpb().Watch)(endpoint, insecure(), ownConnection));
    const streams = clients.flatMap((c) => Array.from({ length: streamsPerConnection }, () => new WatchRecorder(c)));
    streams.forEach((s, i) => s.create(`idle/${i}/`));
    await until(() => streams.every((s) => s.created.length === 1), 120_000, `${idleWatchers} streams with a watch each`);
    await sleep(1_000);
    const ownStreams = rssMb(frontendPid);
    t.diagnostic(`frontend RSS: ${idle.toFixed(0)} MB idle, ${oneStream.toFixed(0)} MB with ${idleWatchers} watchers on one stream, ${ownStreams.toFixed(0)} MB with ${idleWatchers} streams of one watcher`);
    assert.ok(oneStream < idleWatchersFrontendRssBoundMb && ownStreams < idleWatchersFrontendRssBoundMb);
    streams.forEach((s) => s.call.end());
    clients.forEach((c) => c.close());
  });
});
