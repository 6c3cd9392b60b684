// The watch guarantees of docs/ETCD-BEHAVIOUR.md §6.4, checked on a node with two
// frontends under concurrent writes: 6 writers (Put, Delete, multi-op Txn,
// unique values) on one prefix through both frontends, and watchers on both
// frontends (from now, with prev_kv, from an older revision, one key with a
// filter, one that reconnects to the other frontend midway). Ground truth is
// the acknowledged writes, which must equal a full replay from the first
// revision taken at the end (nothing is compacted here).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3, FilterType } from 'etcd3';
import type { IEvent, IKeyValue, IRequestOp, IWatchCreateRequest } from 'etcd3';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';
import { StreamRecorder, eventResponses, eventsOf, isDelete, revisionOf } from './watch-streams.js';
import type { Arrival } from './watch-streams.js';

const prefix = 'wchk/';
const prefixEnd = 'wchk0';
const keys = Array.from({ length: 8 }, (_, i) => `${prefix}k${i}`);
const writerCount = 6;
const trafficMs = 3_000;
const progressEveryMs = 150;
const catchUpTimeoutMs = 10_000;

interface TruthEvent {
  revision: number;
  type: 'PUT' | 'DELETE';
  key: string;
  value: string;
}

interface WatchSpec {
  name: string;
  create: IWatchCreateRequest;
  /** first revision it must report */
  from: number;
  matches(e: TruthEvent): boolean;
  /** its events, responses and arrivals (two streams for the reconnecting one) */
  parts: { stream: StreamRecorder; watchId: string }[];
}

const buf = (s: string) => Buffer.from(s);
const inPrefix = (e: TruthEvent) => e.key.startsWith(prefix);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

let f: NodeFixture;
const clients: Etcd3[] = [];
const acked: TruthEvent[][] = [];
let writeFailures = 0;
let truth: TruthEvent[] = [];
let replayKvs: IEvent[] = [];
const watches: WatchSpec[] = [];
let firstRevision = 0;
let lastRevision = 0;
let resumedAt = 0;

/** One writer: sequential random writes until the deadline, recording what was acknowledged. */
async function writer(client: Etcd3, id: number, deadline: number): Promise<void> {
  for (let seq = 0; Date.now() < deadline; seq++) {
    const value = `w${id}-${seq}`;
    const kind = Math.random();
    try {
      if (kind < 0.5) {
        const key = pick(keys);
        const res = await client.kv.put({ key: buf(key), value: buf(value) });
        acked.push([{ revision: Number(res.header.revision), type: 'PUT', key, value }]);
      } else if (kind < 0.7) {
        const key = pick(keys);
        const res = await client.kv.deleteRange({ key: buf(key) });
        if (Number(res.deleted) > 0) acked.push([{ revision: Number(res.header.revision), type: 'DELETE', key, value: '' }]);
      } else {
        await txnWrite(client, value);
      }
    } catch {
      writeFailures++;
    }
  }
}

/** A txn of 2-4 puts and deletes on distinct keys; its effective ops are its events, in op order. */
async function txnWrite(client: Etcd3, value: string): Promise<void> {
  const chosen = [...keys].sort(() => Math.random() - 0.5).slice(0, 2 + Math.floor(Math.random() * 3));
  const ops = chosen.map((key, i) => ({ key, put: Math.random() < 0.6, value: `${value}.${i}` }));
  const success: IRequestOp[] = ops.map((o) => (o.put ? { request_put: { key: buf(o.key), value: buf(o.value) } } : { request_delete_range: { key: buf(o.key) } }));
  const res = await client.kv.txn({ success });
  const revision = Number(res.header.revision);
  const events: TruthEvent[] = [];
  ops.forEach((o, i) => {
    if (o.put) events.push({ revision, type: 'PUT', key: o.key, value: o.value });
    else if (Number(res.responses[i]!.response_delete_range.deleted) > 0) events.push({ revision, type: 'DELETE', key: o.key, value: '' });
  });
  if (events.length > 0) acked.push(events);
}

async function openWatch(client: Etcd3, spec: Omit<WatchSpec, 'parts' | 'from'>, from?: number): Promise<WatchSpec> {
  const stream = await StreamRecorder.open(client);
  const watchId = await stream.create(spec.create);
  const created = stream.arrivals.find((a) => a.response.created)!.response;
  const start = Number(spec.create.start_revision ?? 0);
  return { ...spec, from: from ?? (start > 0 ? start : Number(created.header.revision) + 1), parts: [{ stream, watchId }] };
}

function lastEventRevision(w: WatchSpec): number {
  const evs = w.parts.flatMap((p) => eventsOf(p.stream.arrivals, p.watchId));
  return evs.length === 0 ? 0 : revisionOf(evs[evs.length - 1]!);
}

/** Reconnect: drop the stream, resume on the other frontend at the last revision seen + 1. */
async function reconnect(w: WatchSpec, client: Etcd3): Promise<void> {
  const old = w.parts[0]!;
  old.stream.close();
  const last = lastEventRevision(w);
  resumedAt = last > 0 ? last + 1 : w.from;
  const stream = await StreamRecorder.open(client);
  const watchId = await stream.create({ ...w.create, start_revision: resumedAt });
  w.parts.push({ stream, watchId });
}

async function startWatchers(): Promise<void> {
  const [c0, c1] = [clients[0]!, clients[1]!];
  const prefixed = { key: buf(prefix), range_end: buf(prefixEnd) };
  watches.push(await openWatch(c0, { name: 'from now, frontend 0, progress requests', create: { ...prefixed }, matches: inPrefix }));
  watches.push(await openWatch(c1, { name: 'from now, frontend 1, prev_kv', create: { ...prefixed, prev_kv: true }, matches: inPrefix }));
  watches.push(
    await openWatch(c0, { name: 'from the first revision, frontend 0, prev_kv', create: { ...prefixed, prev_kv: true, start_revision: firstRevision }, matches: inPrefix }),
  );
  const k0 = keys[0]!;
  const onlyK0Puts = (e: TruthEvent) => e.key === k0 && e.type === 'PUT';
  watches.push(await openWatch(c1, { name: 'one key, NODELETE, frontend 1', create: { key: buf(k0), filters: [FilterType.Nodelete], prev_kv: true }, matches: onlyK0Puts }));
  watches.push(await openWatch(c1, { name: 'reconnecting, frontend 1 then 0, prev_kv', create: { ...prefixed, prev_kv: true }, matches: inPrefix }));
}

async function waitCaughtUp(): Promise<void> {
  for (const w of watches) {
    const expected = truth.filter((e) => e.revision >= w.from && w.matches(e)).length;
    const last = w.parts[w.parts.length - 1]!;
    const count = () => w.parts.reduce((n, p) => n + eventsOf(p.stream.arrivals, p.watchId).length, 0);
    await last.stream.waitFor(() => count() >= expected, catchUpTimeoutMs, `${w.name}: ${expected} events`).catch(() => undefined);
  }
}

/** Full replay from the first revision, on a fresh stream. */
async function replay(): Promise<void> {
  const stream = await StreamRecorder.open(clients[0]!);
  const id = await stream.create({ key: buf(prefix), range_end: buf(prefixEnd), start_revision: firstRevision });
  await stream.waitFor((a) => eventsOf(a, id).some((e) => revisionOf(e) >= lastRevision), catchUpTimeoutMs, 'the full replay');
  replayKvs = eventsOf(stream.arrivals, id);
  stream.close();
}

before(async () => {
  f = await startNodeFixture({ frontends: 2 });
  for (let i = 0; i < writerCount + 2; i++) clients.push(new Etcd3({ hosts: `http://${f.node.endpoints[i % 2]!}` }));
  // Some history before the watchers start, for the one that starts back there.
  for (let i = 0; i < 10; i++) {
    const res = await clients[0]!.kv.put({ key: buf(keys[i % keys.length]!), value: buf(`pre-${i}`) });
    acked.push([{ revision: Number(res.header.revision), type: 'PUT', key: keys[i % keys.length]!, value: `pre-${i}` }]);
    if (i === 0) firstRevision = Number(res.header.revision);
  }
  await startWatchers();
  const progressTimer = setInterval(() => watches[0]!.parts[0]!.stream.send({ progress_request: {} }), progressEveryMs);
  const deadline = Date.now() + trafficMs;
  const writers = Array.from({ length: writerCount }, (_, i) => writer(clients[2 + i]!, i, deadline));
  await new Promise((r) => setTimeout(r, trafficMs / 2));
  await reconnect(watches[4]!, clients[0]!);
  await Promise.all(writers);
  clearInterval(progressTimer);
  truth = acked.flat().sort((a, b) => a.revision - b.revision || 0);
  lastRevision = truth[truth.length - 1]!.revision;
  await waitCaughtUp();
  await replay();
  // Anything after the last write would be made up: give it a moment to show.
  await new Promise((r) => setTimeout(r, 300));
}, { timeout: 60_000 });

after(async () => {
  for (const w of watches) for (const p of w.parts) p.stream.close();
  for (const c of clients) c.close();
  await f?.stop();
});

const show = (e: IEvent) => `${String(e.type).toUpperCase()} ${e.kv.key.toString()}@${revisionOf(e)}=${e.kv.value.toString()}`;
const showTruth = (e: TruthEvent) => `${e.type} ${e.key}@${e.revision}=${e.value}`;

/** Key state just before each (revision, key) event, from the truth: what prev_kv and isCreate must say. */
function stateBefore(): Map<string, IKeyValue | undefined> {
  const live = new Map<string, IKeyValue>();
  const before = new Map<string, IKeyValue | undefined>();
  for (const e of replayKvs) {
    const key = e.kv.key.toString();
    before.set(`${revisionOf(e)}/${key}`, live.get(key));
    if (isDelete(e)) live.delete(key);
    else live.set(key, e.kv);
  }
  return before;
}

function sameKv(actual: IKeyValue, expected: IKeyValue, what: string): void {
  const pickKv = (kv: IKeyValue) => ({ key: kv.key.toString(), value: kv.value.toString(), create: String(kv.create_revision), mod: String(kv.mod_revision), version: String(kv.version) });
  assert.deepEqual(pickKv(actual), pickKv(expected), what);
}

describe('watch checker: 6 writers, 2 frontends, 5 watchers', () => {
  test('the traffic ran, and every write was acknowledged', () => {
    assert.equal(writeFailures, 0, 'failed writes');
    assert.ok(truth.length > 200, `only ${truth.length} events`);
    console.log(`# ${acked.length} writes, ${truth.length} events, revisions ${firstRevision}..${lastRevision}, reconnect at ${resumedAt}`);
  });

  test('acknowledged writes = the full replay (one revision per write, ops in order)', () => {
    const revisions = acked.map((w) => w[0]!.revision);
    assert.equal(new Set(revisions).size, revisions.length, 'two acknowledged writes share a revision');
    assert.deepEqual(replayKvs.map(show), truth.map(showTruth));
  });

  test('the replay: isCreate and version follow the key history', () => {
    const before = stateBefore();
    for (const e of replayKvs.filter((x) => !isDelete(x))) {
      const prev = before.get(`${revisionOf(e)}/${e.kv.key.toString()}`);
      assert.equal(e.kv.create_revision === e.kv.mod_revision, prev === undefined, `isCreate of ${show(e)}`);
      assert.equal(Number(e.kv.version), prev ? Number(prev.version) + 1 : 1, `version of ${show(e)}`);
      if (prev) assert.equal(String(e.kv.create_revision), String(prev.create_revision), `create_revision of ${show(e)}`);
    }
  });

  for (const i of [0, 1, 2, 3, 4]) {
    test(`watcher ${i}: created first, ordered, unique, atomic`, () => checkShape(watches[i]!));
    test(`watcher ${i}: reliable, resumable, filtered`, () => checkReliable(watches[i]!));
    test(`watcher ${i}: prev_kv and isCreate`, () => checkPrevKv(watches[i]!, stateBefore()));
  }

  test('bookmarkable: a progress response never announces a revision whose events are still to come', () => checkBookmarks(watches[0]!.parts[0]!.stream.arrivals));

  test('negative control: the checks catch a lost event, a repeated response, a split revision', () => {
    const w = watches[1]!;
    const { watchId } = w.parts[0]!;
    const arrivals = w.parts[0]!.stream.arrivals;
    const withArrivals = (xs: Arrival[]): WatchSpec => ({ ...w, parts: [{ stream: { arrivals: xs } as unknown as StreamRecorder, watchId }] });
    const at = arrivals.findIndex((a) => a.response.events.length > 1);
    assert.ok(at > 0, 'no multi-event response to split');
    const resp = arrivals[at]!.response;
    const lost = arrivals.map((a, i) => (i === at ? { ...a, response: { ...resp, events: resp.events.slice(1) } } : a));
    assert.throws(() => checkReliable(withArrivals(lost)), /events differ/);
    assert.throws(() => checkShape(withArrivals([...arrivals.slice(0, at + 1), ...arrivals.slice(at)])), /split or reordered|duplicate/);
    const halves = [{ ...arrivals[at]!, response: { ...resp, events: resp.events.slice(0, 1) } }, { ...arrivals[at]!, response: { ...resp, events: resp.events.slice(1) } }];
    assert.throws(() => checkShape(withArrivals([...arrivals.slice(0, at), ...halves, ...arrivals.slice(at + 1)])), /split or reordered/);
  });
});

function checkShape(w: WatchSpec): void {
  for (const p of w.parts) {
    const mine = p.stream.arrivals.filter((a) => a.response.watch_id === p.watchId);
    assert.ok(mine[0]?.response.created, `${w.name}: the first response is not the created one`);
    let last = 0;
    const seen = new Set<string>();
    for (const a of eventResponses(p.stream.arrivals, p.watchId)) {
      const revs = a.response.events.map(revisionOf);
      assert.ok(revs[0]! > last, `${w.name}: a response starts at ${revs[0]} after one ending at ${last} (split or reordered revision)`);
      for (let k = 1; k < revs.length; k++) assert.ok(revs[k]! >= revs[k - 1]!, `${w.name}: events out of order in one response`);
      for (const e of a.response.events) {
        const id = `${revisionOf(e)}/${e.kv.key.toString()}`;
        assert.ok(!seen.has(id), `${w.name}: duplicate event ${id}`);
        seen.add(id);
      }
      last = revs[revs.length - 1]!;
    }
  }
}

function checkReliable(w: WatchSpec): void {
  const received = w.parts.flatMap((p) => eventsOf(p.stream.arrivals, p.watchId));
  const expected = truth.filter((e) => e.revision >= w.from && w.matches(e));
  assert.deepEqual(received.map(show), expected.map(showTruth), `${w.name}: events differ from the truth`);
  if (w.parts.length > 1) {
    const resumed = eventsOf(w.parts[1]!.stream.arrivals, w.parts[1]!.watchId);
    const first = truth.find((e) => e.revision >= resumedAt && w.matches(e));
    assert.equal(resumed[0] && show(resumed[0]), first && showTruth(first), `${w.name}: first event after resuming at ${resumedAt}`);
  }
}

function checkPrevKv(w: WatchSpec, before: Map<string, IKeyValue | undefined>): void {
  const wantsPrev = w.create.prev_kv === true;
  for (const e of w.parts.flatMap((p) => eventsOf(p.stream.arrivals, p.watchId))) {
    const prev = before.get(`${revisionOf(e)}/${e.kv.key.toString()}`);
    if (!isDelete(e)) assert.equal(e.kv.create_revision === e.kv.mod_revision, prev === undefined, `${w.name}: isCreate of ${show(e)}`);
    const isCreate = !isDelete(e) && prev === undefined;
    if (!wantsPrev || isCreate) {
      assert.ok(!e.prev_kv, `${w.name}: unexpected prev_kv on ${show(e)}`);
      continue;
    }
    assert.ok(e.prev_kv, `${w.name}: no prev_kv on ${show(e)}`);
    sameKv(e.prev_kv, prev!, `${w.name}: prev_kv of ${show(e)}`);
  }
}

function checkBookmarks(arrivals: readonly Arrival[]): void {
  let lastEvent = 0;
  let lastProgress = 0;
  let progressCount = 0;
  for (const a of arrivals) {
    const r = a.response;
    if (r.events.length > 0) {
      const first = revisionOf(r.events[0]!);
      assert.ok(first > lastProgress, `event at ${first} after a progress response at ${lastProgress}`);
      lastEvent = revisionOf(r.events[r.events.length - 1]!);
    } else if (r.watch_id === '-1' && !r.created && !r.canceled) {
      const at = Number(r.header.revision);
      assert.ok(at >= lastProgress, `progress went back from ${lastProgress} to ${at}`);
      assert.ok(at >= lastEvent, `progress at ${at} below the last event ${lastEvent}`);
      lastProgress = at;
      progressCount++;
    }
  }
  assert.ok(progressCount > 3, `only ${progressCount} progress responses`);
}
