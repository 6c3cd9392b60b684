// v3lock and v3election (server-side): etcd 3.4.23 and eckd run the same
// scripted scenarios, and their transcripts must be equal after the usual
// normalisation (ids as placeholders, revisions relative to the scenario's
// start). The scenarios block and stream, so they are scripts rather than
// the step tables of the other suites: a blocking call is started, checked
// still pending, released by another call, then awaited. Lease ids are
// chosen by the scripts so both servers make the same keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import { waitUntil } from '@eckd/testing';
import { firstDifference } from './harness/compare.js';
import { normaliseOutcome, relativeRevision } from './harness/normalise.js';
import type { Normalised } from './harness/normalise.js';
import { callUnary } from './harness/rpc.js';
import type { Outcome } from './harness/rpc.js';
import { startServers } from './harness/servers.js';
import type { ServerName, ServerPair } from './harness/servers.js';
import { scenarioTimeoutMs, serversStartTimeoutMs } from './harness/suite.js';

/** How long a blocked call is given to (wrongly) return before it counts as waiting. */
const stillBlockedMs = 400;

interface Clients {
  kv: grpc.Client;
  lease: grpc.Client;
  lock: grpc.Client;
  election: grpc.Client;
}

function clientsOf(address: string): Clients {
  const { etcdserverpb, v3lockpb, v3electionpb } = loadEtcdGrpc().grpcObject;
  const creds = grpc.credentials.createInsecure();
  return {
    kv: new etcdserverpb.KV(address, creds),
    lease: new etcdserverpb.Lease(address, creds),
    lock: new v3lockpb.Lock(address, creds),
    election: new v3electionpb.Election(address, creds),
  };
}

/** One scenario's run on one server: what it saw, step by step. */
class Run {
  readonly transcript: { step: string; outcome: Normalised | string }[] = [];
  #base = 0;
  readonly #streams: grpc.ClientReadableStream<Record<string, unknown>>[] = [];

  constructor(readonly c: Clients) {}

  async begin(): Promise<void> {
    const r = await callUnary(this.c.kv, 'Range', { key: Buffer.from('\0') });
    if (!('response' in r)) throw new Error(`conformance: base revision: ${JSON.stringify(r)}`);
    this.#base = Number((r.response['header'] as { revision: string }).revision);
  }

  record(step: string, outcome: Outcome): Outcome {
    const normalised = normaliseOutcome(outcome, this.#base);
    // A LeaderKey's rev is a revision too (normalise.ts knows etcdserverpb's field names only).
    const leader = 'response' in normalised ? (normalised.response as { leader?: { rev?: string } }).leader : undefined;
    if (leader?.rev !== undefined) leader.rev = relativeRevision(leader.rev, this.#base);
    this.transcript.push({ step, outcome: normalised });
    return outcome;
  }

  note(step: string, what: string): void {
    this.transcript.push({ step, outcome: what });
  }

  /** A unary call, recorded. */
  async call(client: keyof Clients, method: string, req: unknown, step = `${client}.${method}`): Promise<Outcome> {
    return this.record(step, await callUnary(this.c[client], method, req));
  }

  /** A unary call that may block: recorded when `settle` is awaited. */
  start(client: keyof Clients, method: string, req: unknown): Pending {
    let settled: Outcome | undefined;
    const promise = callUnary(this.c[client], method, req).then((o) => (settled = o));
    return { promise, settled: () => settled };
  }

  /** A blocking unary call the script cancels (its client gives up); its outcome is not recorded. */
  startCancellable(client: keyof Clients, method: string, req: unknown): () => void {
    const c = this.c[client] as unknown as Record<string, (req: unknown, cb: (err: unknown) => void) => grpc.ClientUnaryCall>;
    const call = c[method]!.call(this.c[client], req, () => undefined);
    return () => call.cancel();
  }

  /** Waits until `prefix` holds `count` keys. */
  async keysUnder(prefix: string, count: number): Promise<void> {
    const end = Buffer.from(prefix);
    end[end.length - 1]! += 1;
    await waitUntil(
      async () => {
        const r = await callUnary(this.c.kv, 'Range', { key: Buffer.from(prefix), range_end: end, count_only: true });
        return 'response' in r && Number(r.response['count']) === count;
      },
      scenarioTimeoutMs / 2,
      `${count} keys under ${prefix}`,
    );
  }

  async stillBlocked(step: string, p: Pending): Promise<void> {
    await new Promise((r) => setTimeout(r, stillBlockedMs));
    this.note(step, p.settled() ? `settled: ${JSON.stringify(p.settled())}` : 'blocked');
  }

  async settle(step: string, p: Pending): Promise<Outcome> {
    return this.record(step, await p.promise);
  }

  /** An Observe stream; its messages are recorded by `observed`. */
  observe(name: string): Observed {
    const fn = (this.c.election as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<Record<string, unknown>>>)['Observe']!;
    const stream = fn.call(this.c.election, { name: Buffer.from(name) });
    this.#streams.push(stream);
    const messages: Record<string, unknown>[] = [];
    stream.on('data', (m: Record<string, unknown>) => messages.push(m));
    stream.on('error', () => undefined);
    return { messages };
  }

  async observed(step: string, o: Observed, count: number): Promise<void> {
    await waitUntil(() => o.messages.length >= count, scenarioTimeoutMs / 2, `${count} Observe messages`);
    // A moment for an unexpected extra message to arrive and show up as a difference.
    await new Promise((r) => setTimeout(r, 200));
    for (const m of o.messages.splice(0)) this.record(step, { response: m });
  }

  end(): void {
    for (const s of this.#streams) s.cancel();
  }
}

interface Pending {
  promise: Promise<Outcome>;
  settled(): Outcome | undefined;
}
interface Observed {
  messages: Record<string, unknown>[];
}

const b = (s: string) => Buffer.from(s);
const grant = (r: Run, id: string, ttl = 60) => r.call('lease', 'LeaseGrant', { ID: id, TTL: ttl });
const leaseKey = (name: string, id: string) => `${name}/${BigInt(id).toString(16)}`;

type Script = (r: Run) => Promise<void>;

const scenarios: { name: string; script: Script }[] = [
  {
    name: 'lock and unlock',
    script: async (r) => {
      await grant(r, '81001');
      await r.call('lock', 'Lock', { name: b('lk01'), lease: '81001' });
      await r.call('kv', 'Range', { key: b('lk01/'), range_end: b('lk010') });
      await r.call('lock', 'Unlock', { key: b(leaseKey('lk01', '81001')) });
      await r.call('kv', 'Range', { key: b('lk01/'), range_end: b('lk010') });
    },
  },
  {
    name: 'lock twice with the same lease holds the same key',
    script: async (r) => {
      await grant(r, '81002');
      await r.call('lock', 'Lock', { name: b('lk02'), lease: '81002' });
      await r.call('lock', 'Lock', { name: b('lk02'), lease: '81002' });
    },
  },
  {
    name: 'a second contender waits until the first unlocks',
    script: async (r) => {
      await grant(r, '81003');
      await grant(r, '81004');
      await r.call('lock', 'Lock', { name: b('lk03'), lease: '81003' });
      const second = r.start('lock', 'Lock', { name: b('lk03'), lease: '81004' });
      await r.stillBlocked('second Lock', second);
      await r.call('kv', 'Range', { key: b('lk03/'), range_end: b('lk030') });
      await r.call('lock', 'Unlock', { key: b(leaseKey('lk03', '81003')) });
      await r.settle('second Lock', second);
    },
  },
  {
    name: 'three contenders are served in create_revision order',
    script: async (r) => {
      for (const id of ['81005', '81006', '81007']) await grant(r, id);
      await r.call('lock', 'Lock', { name: b('lk05'), lease: '81007' });
      const second = r.start('lock', 'Lock', { name: b('lk05'), lease: '81005' });
      await r.stillBlocked('second Lock', second);
      const third = r.start('lock', 'Lock', { name: b('lk05'), lease: '81006' });
      await r.stillBlocked('third Lock', third);
      await r.call('lock', 'Unlock', { key: b(leaseKey('lk05', '81007')) });
      await r.settle('second Lock', second);
      await r.stillBlocked('third Lock', third);
      await r.call('lock', 'Unlock', { key: b(leaseKey('lk05', '81005')) });
      await r.settle('third Lock', third);
    },
  },
  {
    name: "revoking the holder's lease releases the lock",
    script: async (r) => {
      await grant(r, '81008');
      await grant(r, '81009');
      await r.call('lock', 'Lock', { name: b('lk08'), lease: '81008' });
      const second = r.start('lock', 'Lock', { name: b('lk08'), lease: '81009' });
      await r.stillBlocked('second Lock', second);
      await r.call('lease', 'LeaseRevoke', { ID: '81008' });
      await r.settle('second Lock', second);
    },
  },
  {
    name: 'lock with an unknown lease',
    script: async (r) => {
      await r.call('lock', 'Lock', { name: b('lk10'), lease: '81010' });
      await r.call('kv', 'Range', { key: b('lk10/'), range_end: b('lk100') });
    },
  },
  {
    name: 'unlock of a missing key',
    script: async (r) => {
      await r.call('lock', 'Unlock', { key: b('lk11/missing') });
    },
  },
  {
    name: 'unlock of an empty key; a name or value over the request size limit',
    script: async (r) => {
      await grant(r, '81014');
      await r.call('lock', 'Unlock', { key: Buffer.alloc(0) });
      const large = Buffer.alloc(1_600_000, 'n');
      await r.call('lock', 'Lock', { name: large, lease: '81014' });
      await r.call('election', 'Campaign', { name: b('el14'), lease: '81014', value: large });
      await r.call('kv', 'Range', { key: b('el14/'), range_end: b('el140') });
    },
  },
  {
    name: 'a cancelled Lock deletes its key, a cancelled Campaign resigns',
    script: async (r) => {
      await grant(r, '81012');
      await grant(r, '81013');
      await r.call('lock', 'Lock', { name: b('lk12'), lease: '81012' });
      const cancelLock = r.startCancellable('lock', 'Lock', { name: b('lk12'), lease: '81013' });
      await r.keysUnder('lk12/', 2);
      cancelLock();
      await r.keysUnder('lk12/', 1);
      await r.call('kv', 'Range', { key: b('lk12/'), range_end: b('lk120') });
      await r.call('election', 'Campaign', { name: b('el12'), lease: '81012', value: b('a') });
      const cancelCampaign = r.startCancellable('election', 'Campaign', { name: b('el12'), lease: '81013', value: b('b') });
      await r.keysUnder('el12/', 2);
      cancelCampaign();
      await r.keysUnder('el12/', 1);
      await r.call('kv', 'Range', { key: b('el12/'), range_end: b('el120') });
    },
  },
  {
    name: 'campaign, leader, proclaim, resign',
    script: async (r) => {
      await grant(r, '82001');
      await r.call('election', 'Leader', { name: b('el01') });
      await r.call('election', 'Campaign', { name: b('el01'), lease: '82001', value: b('v1') });
      await r.call('election', 'Leader', { name: b('el01') });
      const leader = { name: b('el01'), key: b(leaseKey('el01', '82001')), rev: '0', lease: '82001' };
      const rev = await callUnary(r.c.kv, 'Range', { key: leader.key });
      const kvs = 'response' in rev ? (rev.response['kvs'] as { create_revision: string }[]) : [];
      leader.rev = kvs[0]?.create_revision ?? '0';
      await r.call('election', 'Proclaim', { leader, value: b('v2') });
      await r.call('election', 'Leader', { name: b('el01') });
      await r.call('election', 'Resign', { leader });
      await r.call('election', 'Leader', { name: b('el01') });
      await r.call('election', 'Proclaim', { leader, value: b('v3') }, 'Proclaim after Resign');
      await r.call('election', 'Resign', { leader }, 'Resign again');
    },
  },
  {
    name: 'a second candidate is elected when the leader resigns',
    script: async (r) => {
      await grant(r, '82002');
      await grant(r, '82003');
      const first = await r.call('election', 'Campaign', { name: b('el02'), lease: '82002', value: b('a') });
      const second = r.start('election', 'Campaign', { name: b('el02'), lease: '82003', value: b('b') });
      await r.stillBlocked('second Campaign', second);
      await r.call('election', 'Leader', { name: b('el02') });
      const leader = 'response' in first ? first.response['leader'] : undefined;
      await r.call('election', 'Resign', { leader });
      await r.settle('second Campaign', second);
      await r.call('election', 'Leader', { name: b('el02') });
    },
  },
  {
    name: 'campaign again with the same lease and another value proclaims it',
    script: async (r) => {
      await grant(r, '82004');
      await r.call('election', 'Campaign', { name: b('el04'), lease: '82004', value: b('a') });
      await r.call('election', 'Campaign', { name: b('el04'), lease: '82004', value: b('b') });
      await r.call('election', 'Leader', { name: b('el04') });
    },
  },
  {
    name: 'observe follows proclamations and leader changes',
    script: async (r) => {
      await grant(r, '82005');
      await grant(r, '82006');
      const o = r.observe('el05');
      const first = await r.call('election', 'Campaign', { name: b('el05'), lease: '82005', value: b('a') });
      await r.observed('observe: first leader', o, 1);
      const leader = 'response' in first ? first.response['leader'] : undefined;
      await r.call('election', 'Proclaim', { leader, value: b('a2') });
      await r.observed('observe: proclaimed', o, 1);
      const second = r.start('election', 'Campaign', { name: b('el05'), lease: '82006', value: b('b') });
      await r.stillBlocked('second Campaign', second);
      await r.call('lease', 'LeaseRevoke', { ID: '82005' });
      await r.settle('second Campaign', second);
      await r.observed('observe: second leader', o, 1);
    },
  },
  {
    name: 'observe of an elected leader starts with it',
    script: async (r) => {
      await grant(r, '82007');
      await r.call('election', 'Campaign', { name: b('el07'), lease: '82007', value: b('x') });
      const o = r.observe('el07');
      await r.observed('observe: current leader', o, 1);
    },
  },
  {
    name: 'election errors: no leader, not leader, bad lease, missing leader',
    script: async (r) => {
      await r.call('election', 'Leader', { name: b('el08') });
      await r.call('election', 'Campaign', { name: b('el08'), lease: '82008', value: b('v') }, 'Campaign with an unknown lease');
      const ghost = { name: b('el08'), key: b('el08/ghost'), rev: '5', lease: '0' };
      await r.call('election', 'Proclaim', { leader: ghost, value: b('v') }, 'Proclaim of a missing key');
      await r.call('election', 'Proclaim', { value: b('v') }, 'Proclaim without a leader');
      await r.call('election', 'Resign', {}, 'Resign without a leader');
      await r.call('election', 'Resign', { leader: ghost }, 'Resign of a missing key');
      await r.call('kv', 'Range', { key: b('el08/'), range_end: b('el080') });
    },
  },
];

let servers: ServerPair | undefined;
const clients = new Map<ServerName, Clients>();

async function runOn(name: ServerName, script: Script): Promise<Run['transcript']> {
  const run = new Run(clients.get(name)!);
  await run.begin();
  try {
    await script(run);
  } finally {
    run.end();
  }
  return run.transcript;
}

describe('conformance: v3lock and v3election', () => {
  before(async () => {
    servers = await startServers();
    clients.set('etcd', clientsOf(servers.etcd.address));
    clients.set('eckd', clientsOf(servers.eckd.address));
  }, { timeout: serversStartTimeoutMs });
  after(async () => {
    for (const c of clients.values()) for (const client of Object.values(c)) client.close();
    await servers?.stop();
  });

  for (const { name, script } of scenarios) {
    test(name, { timeout: scenarioTimeoutMs * 2 }, async () => {
      // One server after the other: a scenario's timing (a call still blocked) is its own on each.
      const etcd = await runOn('etcd', script);
      const eckd = await runOn('eckd', script);
      if (process.env['CONFORMANCE_DUMP']) console.log(JSON.stringify({ name, etcd, eckd }, null, 1));
      const diff = firstDifference(etcd, eckd);
      assert.equal(diff, undefined, `${name}: first difference (etcd vs eckd) at ${diff}\n etcd: ${JSON.stringify(etcd)}\n eckd: ${JSON.stringify(eckd)}`);
    });
  }
});
