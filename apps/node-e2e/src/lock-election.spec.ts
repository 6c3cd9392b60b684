// v3lock and v3election against a node of two frontends (ARCHITECTURE §5f):
// etcdctl's lock and elect (etcd's client-side recipes over KV, Watch and
// Lease) and the server-side Lock and Election services exclude each other,
// because both use the same keys; what etcd 3.4.23 cannot show for the
// conformance suite (3.6's expired session, lease 0, cancellation, eckd's
// bound on open calls) is checked here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { etcdctl, startProcess, waitUntil } from '@eckd/testing';
import type { ProcessHandle } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

/** Small, so the bound is reached by a few calls; every test leaves no call open. */
const waitsMax = 3;
const waitMs = 20_000;
/** How long a blocked call is given to (wrongly) return before it counts as waiting. */
const stillBlockedMs = 500;

type Reply = Record<string, unknown>;
interface Clients {
  kv: grpc.Client;
  lease: grpc.Client;
  lock: grpc.Client;
  election: grpc.Client;
}

let f: NodeFixture;
const clients: Clients[] = [];
const processes: ProcessHandle[] = [];

before(async () => {
  f = await startNodeFixture({ frontends: 2, roleEnv: { frontend: { ECKD_CONCURRENCY_WAITS_MAX: String(waitsMax) } } });
  const { etcdserverpb, v3lockpb, v3electionpb } = loadEtcdGrpc().grpcObject;
  for (const endpoint of f.node.endpoints) {
    const creds = grpc.credentials.createInsecure();
    clients.push({
      kv: new etcdserverpb.KV(endpoint, creds),
      lease: new etcdserverpb.Lease(endpoint, creds),
      lock: new v3lockpb.Lock(endpoint, creds),
      election: new v3electionpb.Election(endpoint, creds),
    });
  }
});
after(async () => {
  for (const p of processes) await p.stop();
  for (const c of clients) for (const client of Object.values(c)) client.close();
  await f?.stop();
});

type UnaryFn = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Reply) => void) => grpc.ClientUnaryCall;

/** A unary call on frontend `i`: the reply, or the gRPC error thrown; `started` gets the call (to cancel it). */
function call(i: number, service: keyof Clients, method: string, req: unknown, started?: (c: grpc.ClientUnaryCall) => void): Promise<Reply> {
  const client = clients[i]![service];
  const fn = (client as unknown as Record<string, UnaryFn>)[method]!;
  return new Promise((resolve, reject) => {
    const c = fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (err, res) => (err ? reject(err) : resolve(res ?? {})));
    started?.(c);
  });
}

async function grant(ttl: number): Promise<string> {
  return String((await call(0, 'lease', 'LeaseGrant', { TTL: ttl }))['ID']);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  const r = await call(0, 'kv', 'Range', { key: Buffer.from(prefix), range_end: end });
  return (r['kvs'] as { key: Buffer }[]).map((kv) => kv.key.toString());
}

/** Tracks whether a promise has settled, for "still blocked" checks. */
function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise: p, settled: () => done };
}

async function assertBlocked(p: { settled: () => boolean }, what: string): Promise<void> {
  await new Promise((r) => setTimeout(r, stillBlockedMs));
  assert.equal(p.settled(), false, `${what} should still wait`);
}

function etcdctlProcess(name: string, args: string[]): Promise<ProcessHandle> {
  return startProcess({ name, command: 'etcdctl', args: [`--endpoints=${f.node.endpoints[1]}`, ...args], env: { ETCDCTL_API: '3' } }).then((p) => {
    processes.push(p);
    return p;
  });
}

describe('etcdctl lock and elect (client-side recipes) with the server-side services', () => {
  test('etcdctl lock runs its command holding the lock, and releases it', async () => {
    const r = await etcdctl(f.node.endpoints[0]!, ['lock', 'ctl-lock', 'echo', 'held']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'held\n');
    assert.deepEqual(await keysUnder('ctl-lock/'), []);
  });

  test('etcdctl lock waits for a Lock held through the service, and the service waits for etcdctl', async () => {
    const lease = await grant(60);
    const held = await call(0, 'lock', 'Lock', { name: Buffer.from('mixed'), lease });
    const ctl = tracked(etcdctl(f.node.endpoints[1]!, ['lock', 'mixed', 'echo', 'ctl-held'], { timeoutMs: waitMs }));
    await assertBlocked(ctl, 'etcdctl lock');
    await call(0, 'lock', 'Unlock', { key: held['key'] });
    const r = await ctl.promise;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ctl-held/);

    // The other way round: etcdctl holds the lock while its command runs.
    const ctl2 = tracked(etcdctl(f.node.endpoints[1]!, ['lock', 'mixed2', 'sleep', '2'], { timeoutMs: waitMs }));
    await waitUntil(async () => (await keysUnder('mixed2/')).length > 0, waitMs, 'etcdctl holds mixed2');
    const lock = tracked(call(0, 'lock', 'Lock', { name: Buffer.from('mixed2'), lease }));
    await assertBlocked(lock, 'Lock while etcdctl holds the lock');
    const granted = await lock.promise;
    assert.deepEqual(await keysUnder('mixed2/'), [granted['key']!.toString()], "granted once etcdctl's key is gone");
    assert.equal((await ctl2.promise).code, 0);
    await call(0, 'lock', 'Unlock', { key: granted['key'] });
    await call(0, 'lease', 'LeaseRevoke', { ID: lease });
  });

  test('etcdctl elect --listen sees Campaign and Proclaim; an etcdctl candidate leads after Resign', async () => {
    const listener = await etcdctlProcess('elect-listen', ['elect', 'ctl-el', '--listen']);
    const lease = await grant(60);
    const campaign = await call(0, 'election', 'Campaign', { name: Buffer.from('ctl-el'), lease, value: Buffer.from('from-service') });
    const leader = campaign['leader'] as Reply;
    await listener.waitForLine((l) => l === 'from-service', waitMs);
    await call(0, 'election', 'Proclaim', { leader, value: Buffer.from('proclaimed') });
    await listener.waitForLine((l) => l === 'proclaimed', waitMs);

    const since = listener.lineCount;
    const candidate = await etcdctlProcess('elect-candidate', ['elect', 'ctl-el', 'from-etcdctl']);
    await waitUntil(async () => (await keysUnder('ctl-el/')).length === 2, waitMs, 'the etcdctl candidate has its key');
    const observed = await call(1, 'election', 'Leader', { name: Buffer.from('ctl-el') });
    assert.equal((observed['kv'] as { value: Buffer }).value.toString(), 'proclaimed', 'the service candidate still leads');
    await call(1, 'election', 'Resign', { leader });
    await candidate.waitForLine((l) => l === 'from-etcdctl', waitMs);
    await listener.waitForLine((l) => l === 'from-etcdctl', waitMs, since);
    const now = await call(0, 'election', 'Leader', { name: Buffer.from('ctl-el') });
    assert.equal((now['kv'] as { value: Buffer }).value.toString(), 'from-etcdctl');

    // etcdctl resigns when it is stopped; then there is no leader.
    await candidate.stop();
    await waitUntil(async () => (await keysUnder('ctl-el/')).length === 0, waitMs, 'the etcdctl candidate resigned');
    await assert.rejects(call(0, 'election', 'Leader', { name: Buffer.from('ctl-el') }), { code: grpc.status.UNKNOWN, details: 'election: no leader' });
    await listener.stop();
    await call(0, 'lease', 'LeaseRevoke', { ID: lease });
  });
});

describe('server-side Lock and Election beyond what etcd 3.4 shows', () => {
  test('lease 0: the call grants a lease of 60 s, as etcd makes a session', async () => {
    const r = await call(0, 'lock', 'Lock', { name: Buffer.from('zero'), lease: '0' });
    const [kv] = (await call(0, 'kv', 'Range', { key: r['key'] }))['kvs'] as { lease: string }[];
    assert.notEqual(kv?.lease, '0');
    assert.equal(r['key']!.toString(), `zero/${BigInt(kv!.lease).toString(16)}`);
    const ttl = await call(0, 'lease', 'LeaseTimeToLive', { ID: kv!.lease });
    assert.equal(ttl['grantedTTL'], '60');
    await call(0, 'lease', 'LeaseRevoke', { ID: kv!.lease });
  });

  test("a waiter whose lease expires gets etcd 3.6's `mutex: session is expired`", async () => {
    const holder = await grant(60);
    const short = await grant(2);
    const held = await call(0, 'lock', 'Lock', { name: Buffer.from('expiring'), lease: holder });
    const waiter = tracked(call(1, 'lock', 'Lock', { name: Buffer.from('expiring'), lease: short }));
    waiter.promise.catch(() => undefined);
    await waitUntil(async () => (await keysUnder('expiring/')).length === 2, waitMs, 'the waiter has its key');
    await waitUntil(async () => (await keysUnder('expiring/')).length === 1, waitMs, "the waiter's lease expired");
    assert.equal(waiter.settled(), false, 'the waiter waits for the holder still');
    await call(0, 'lock', 'Unlock', { key: held['key'] });
    await assert.rejects(waiter.promise, { code: grpc.status.UNKNOWN, details: 'mutex: session is expired' });
    await call(0, 'lease', 'LeaseRevoke', { ID: holder });
  });

  test('a cancelled Lock removes its key; a cancelled Campaign resigns', async () => {
    const a = await grant(60);
    const b = await grant(60);
    const held = await call(0, 'lock', 'Lock', { name: Buffer.from('cancel'), lease: a });
    let waiting: grpc.ClientUnaryCall | undefined;
    const lock = call(1, 'lock', 'Lock', { name: Buffer.from('cancel'), lease: b }, (c) => (waiting = c));
    await waitUntil(async () => (await keysUnder('cancel/')).length === 2, waitMs, 'the waiter has its key');
    waiting!.cancel();
    await assert.rejects(lock, { code: grpc.status.CANCELLED });
    await waitUntil(async () => (await keysUnder('cancel/')).length === 1, waitMs, "the cancelled waiter's key is deleted");
    await call(0, 'lock', 'Unlock', { key: held['key'] });

    await call(0, 'election', 'Campaign', { name: Buffer.from('cancel-el'), lease: a, value: Buffer.from('a') });
    const campaign = call(1, 'election', 'Campaign', { name: Buffer.from('cancel-el'), lease: b, value: Buffer.from('b') }, (c) => (waiting = c));
    await waitUntil(async () => (await keysUnder('cancel-el/')).length === 2, waitMs, 'the candidate has its key');
    waiting!.cancel();
    await assert.rejects(campaign, { code: grpc.status.CANCELLED });
    await waitUntil(async () => (await keysUnder('cancel-el/')).length === 1, waitMs, 'the cancelled candidate resigned');
    await call(0, 'lease', 'LeaseRevoke', { ID: a });
    await call(0, 'lease', 'LeaseRevoke', { ID: b });
  });

  test('past ECKD_CONCURRENCY_WAITS_MAX open calls a Lock gets `too many requests` and writes nothing', async () => {
    const leases = [await grant(60), await grant(60), await grant(60), await grant(60)];
    const held = await call(0, 'lock', 'Lock', { name: Buffer.from('bound'), lease: leases[0] });
    const cancels: grpc.ClientUnaryCall[] = [];
    const waiting = [1, 2].map((i) => call(0, 'lock', 'Lock', { name: Buffer.from('bound'), lease: leases[i] }, (c) => cancels.push(c)));
    for (const w of waiting) w.catch(() => undefined);
    const observe = (clients[0]!.election as unknown as { Observe(req: unknown): grpc.ClientReadableStream<Reply> }).Observe({ name: Buffer.from('bound') });
    observe.on('error', () => undefined);
    await new Promise((resolve) => observe.once('data', resolve));
    await waitUntil(async () => (await keysUnder('bound/')).length === 3, waitMs, 'two waiters have their keys');
    await assert.rejects(call(0, 'lock', 'Lock', { name: Buffer.from('bound'), lease: leases[3] }), {
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: 'etcdserver: too many requests',
    });
    assert.equal((await keysUnder('bound/')).length, 3, 'the refused call wrote nothing');
    // The other frontend has its own bound.
    const other = tracked(call(1, 'lock', 'Lock', { name: Buffer.from('bound'), lease: leases[3] }, (c) => cancels.push(c)));
    other.promise.catch(() => undefined);
    await waitUntil(async () => (await keysUnder('bound/')).length === 4, waitMs, 'the other frontend took the call');
    for (const c of cancels) c.cancel();
    observe.cancel();
    await call(0, 'lock', 'Unlock', { key: held['key'] });
    for (const id of leases) await call(0, 'lease', 'LeaseRevoke', { ID: id });
  });

  // Last: it stops frontend 1.
  test('a frontend that shuts down ends its waiting calls with `server stopped` and removes their keys', async () => {
    const a = await grant(60);
    const b = await grant(60);
    const held = await call(0, 'lock', 'Lock', { name: Buffer.from('shutdown'), lease: a });
    const waiting = call(1, 'lock', 'Lock', { name: Buffer.from('shutdown'), lease: b });
    waiting.catch(() => undefined);
    await waitUntil(async () => (await keysUnder('shutdown/')).length === 2, waitMs, 'the waiter has its key');
    await f.node.processes.frontends[1]!.stop();
    await assert.rejects(waiting, { code: grpc.status.UNAVAILABLE, details: 'etcdserver: server stopped' });
    assert.deepEqual(await keysUnder('shutdown/'), [held['key']!.toString()], "the stopped waiter's key is deleted");
    await call(0, 'lock', 'Unlock', { key: held['key'] });
    for (const id of [a, b]) await call(0, 'lease', 'LeaseRevoke', { ID: id });
  });
});
