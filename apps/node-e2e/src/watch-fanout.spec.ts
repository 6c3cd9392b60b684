// Fan-out on one frontend: 1,000 watchers (4 clients × 2 streams × 125
// watches) all receive every one of 100 writes, in order, within a bound.
// Then slow consumers: a stream whose client stops reading must not hold up
// the other watchers or the writes, and once it reads again it gets every
// event, or, when the history it needs was compacted meanwhile, etcd's
// compaction cancel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { StreamRecorder, eventsOf, revisionOf } from './watch-streams.js';

const clientCount = 4;
const streamsPerClient = 2;
const watchesPerStream = 125;
const writeCount = 100;
/** Generous for a 2-core box running the node, NATS, Postgres and 1,000 decoders in this process. */
const deliveryMsMax = 10_000;
const deliveryP99MsMax = 5_000;
const writeP99MsMax = 3_000;
const bigValueBytes = 100_000;
const bigWriteCount = 40;

const buf = (s: string) => Buffer.from(s);
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

let f: NodeFixture;
const clients: Etcd3[] = [];
const streams: { stream: StreamRecorder; ids: string[] }[] = [];
let writer: Etcd3;

interface WriteLog {
  revisions: number[];
  values: string[];
  sentAt: Map<number, number>;
  latenciesMs: number[];
}

/** Sequential puts of unique values under `prefix`; when each was sent, and how long each took. */
async function writeSequence(client: Etcd3, prefix: string, count: number, value: (i: number) => Buffer | string): Promise<WriteLog> {
  const log: WriteLog = { revisions: [], values: [], sentAt: new Map(), latenciesMs: [] };
  for (let i = 0; i < count; i++) {
    const v = value(i);
    const sent = performance.now();
    const res = await client.kv.put({ key: buf(`${prefix}k${i % 10}`), value: typeof v === 'string' ? buf(v) : v });
    const revision = Number(res.header.revision);
    log.latenciesMs.push(performance.now() - sent);
    log.revisions.push(revision);
    log.values.push(typeof v === 'string' ? v : `<${v.length} bytes>`);
    log.sentAt.set(revision, sent);
  }
  return log;
}

/** Per watcher: its events are exactly `log`'s, in order; returns every delivery delay (arrival - write sent). */
function checkDelivery(log: WriteLog, fromRevision: number): number[] {
  const delays: number[] = [];
  for (const { stream, ids } of streams) {
    for (const id of ids) {
      const responses = (stream.eventArrivals.get(id) ?? []).filter((a) => revisionOf(a.response.events[0]!) >= fromRevision);
      const evs = responses.flatMap((a) => a.response.events);
      assert.deepEqual(evs.map(revisionOf), log.revisions, `watch ${id}: revisions`);
      assert.deepEqual(
        evs.map((e) => e.kv.value.toString()),
        log.values,
        `watch ${id}: values`,
      );
      for (const a of responses) for (const e of a.response.events) delays.push(a.at - log.sentAt.get(revisionOf(e))!);
    }
  }
  return delays;
}

function allDelivered(log: WriteLog, fromRevision: number): Promise<unknown> {
  const last = log.revisions[log.revisions.length - 1]!;
  return Promise.all(
    streams.map(({ stream, ids }) =>
      stream.waitFor(() => ids.every((id) => stream.lastEventRevision(id) >= last), deliveryMsMax + 10_000, `every watch of a stream at ${last} (from ${fromRevision})`),
    ),
  );
}

before(async () => {
  f = await startNodeFixture({ frontends: 1 });
  const host = `http://${f.node.endpoints[0]!}`;
  for (let i = 0; i < clientCount; i++) clients.push(new Etcd3({ hosts: host }));
  writer = new Etcd3({ hosts: host });
  for (const c of clients) {
    for (let s = 0; s < streamsPerClient; s++) {
      const stream = await StreamRecorder.open(c);
      for (let i = 0; i < watchesPerStream; i++) stream.send({ create_request: { key: buf('fan/'), range_end: buf('fan0') } });
      await stream.waitFor((a) => a.filter((x) => x.response.created).length === watchesPerStream, 15_000, `${watchesPerStream} created`);
      streams.push({ stream, ids: stream.arrivals.filter((x) => x.response.created).map((x) => x.response.watch_id) });
    }
  }
}, { timeout: 60_000 });

after(async () => {
  for (const { stream } of streams) stream.close();
  for (const c of [...clients, writer]) c?.close();
  await f?.stop();
});

describe('watch fan-out: 1,000 watchers on one frontend', () => {
  test('1,000 distinct watches, 125 per stream, ids 0..124 on each stream', () => {
    assert.equal(streams.length * watchesPerStream, 1000);
    for (const { ids } of streams) assert.deepEqual(ids, Array.from({ length: watchesPerStream }, (_, i) => String(i)));
  });

  test('100 writes: every watcher gets every event, in order, within the bound', async () => {
    const log = await writeSequence(writer, 'fan/', writeCount, (i) => `v${i}`);
    await allDelivered(log, log.revisions[0]!);
    const delays = checkDelivery(log, log.revisions[0]!);
    assert.equal(delays.length, 1000 * writeCount);
    const p99 = percentile(delays, 99);
    // A stream that backs up sends catch-up responses of several revisions (etcd's unsynced watchers do too).
    const responses = streams.flatMap(({ stream }) => [...stream.eventArrivals.values()].flat());
    const batched = responses.filter((a) => new Set(a.response.events.map(revisionOf)).size > 1).length;
    console.log(`# fan-out delivery ms: p50 ${percentile(delays, 50).toFixed(1)}, p99 ${p99.toFixed(1)}, max ${Math.max(...delays).toFixed(1)}; ${responses.length} responses, ${batched} with several revisions`);
    assert.ok(Math.max(...delays) < deliveryMsMax, `slowest delivery ${Math.max(...delays)} ms`);
    assert.ok(p99 < deliveryP99MsMax, `p99 delivery ${p99} ms`);
  });

  test('a stream that stops reading holds up neither the others nor the writes, and catches up in full', async () => {
    const slowClient = new Etcd3({ hosts: `http://${f.node.endpoints[0]!}` });
    try {
      const slow = await StreamRecorder.open(slowClient);
      const slowId = await slow.create({ key: buf('slow/'), range_end: buf('slow0') });
      slow.pause();
      const big = await writeSequence(writer, 'slow/', bigWriteCount, (i) => Buffer.alloc(bigValueBytes, 97 + (i % 26)));
      const fan = await writeSequence(writer, 'fan/', 50, (i) => `after-slow-${i}`);
      await allDelivered(fan, fan.revisions[0]!);
      const delays = checkDelivery(fan, fan.revisions[0]!);
      console.log(`# with a stalled stream: delivery p99 ${percentile(delays, 99).toFixed(1)} ms, write p99 ${percentile(fan.latenciesMs, 99).toFixed(1)} ms`);
      assert.ok(percentile(delays, 99) < deliveryP99MsMax, 'the others were held up');
      assert.ok(percentile([...big.latenciesMs, ...fan.latenciesMs], 99) < writeP99MsMax, 'writes were held up');
      const beforeResume = eventsOf(slow.arrivals, slowId).length;
      assert.ok(beforeResume < bigWriteCount, `the stalled stream read everything anyway (${beforeResume} events): nothing backed up`);
      slow.resume();
      const last = big.revisions[big.revisions.length - 1]!;
      await slow.waitFor((a) => eventsOf(a, slowId).some((e) => revisionOf(e) === last), 15_000, 'the stalled stream to catch up');
      const evs = eventsOf(slow.arrivals, slowId);
      assert.deepEqual(evs.map(revisionOf), big.revisions, 'the stalled stream lost or reordered events');
      assert.ok(evs.every((e, i) => e.kv.value.length === bigValueBytes && e.kv.value[0] === 97 + (i % 26)), 'values');
      slow.close();
    } finally {
      slowClient.close();
    }
  });

  test('a stream that stops reading while its history is compacted: events up to a point, then the compaction cancel', async () => {
    const slowClient = new Etcd3({ hosts: `http://${f.node.endpoints[0]!}` });
    try {
      const slow = await StreamRecorder.open(slowClient);
      const slowId = await slow.create({ key: buf('slow2/'), range_end: buf('slow20') });
      slow.pause();
      const big = await writeSequence(writer, 'slow2/', bigWriteCount, (i) => Buffer.alloc(bigValueBytes, 65 + (i % 26)));
      const last = big.revisions[big.revisions.length - 1]!;
      await writer.kv.compact({ revision: last });
      slow.resume();
      const ended = (a: readonly { response: { watch_id: string; canceled: boolean; events: unknown[] } }[]) =>
        a.some((x) => x.response.watch_id === slowId && x.response.canceled) || eventsOf(slow.arrivals, slowId).some((e) => revisionOf(e) === last);
      await slow.waitFor(ended, 15_000, 'all events or the compaction cancel');
      const evs = eventsOf(slow.arrivals, slowId);
      assert.deepEqual(evs.map(revisionOf), big.revisions.slice(0, evs.length), 'events before the cancel are a prefix of the writes');
      const cancel = slow.arrivals.find((x) => x.response.watch_id === slowId && x.response.canceled)?.response;
      console.log(`# compacted while stalled: ${evs.length}/${bigWriteCount} events, then ${cancel ? `cancel at compact_revision ${cancel.compact_revision}` : 'no cancel'}`);
      if (evs.length < bigWriteCount) {
        assert.ok(cancel, 'events are missing and no compaction cancel came');
        assert.equal(Number(cancel.compact_revision), last, 'compact_revision');
        assert.equal(cancel.cancel_reason, '');
      }
      slow.close();
    } finally {
      slowClient.close();
    }
  });
});
