import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context } from '@opentelemetry/api';
import { createKvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { AppendRequest, ProposeReply, ProposeRequest } from '@eckd/change-codec';
import { LeaseStore, MvccStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { Message, Messenger } from '@eckd/service-kit';
import { ApplyLoop } from './apply-loop.js';
import { AppendPipeline, appendTooLarge } from './append-pipeline.js';
import { HistoryCutter } from './history-cut.js';
import type { NodeState } from './write-application.js';
import type { BatchPeers } from './peers/replication.js';

const log = createLogger('apply-loop-spec');

/**
 * A loop over an in-memory node. Its persister keeps the append chain as
 * Postgres does (an append is stored only right after its predecessor) and
 * acknowledges each append once `hold` (if given) lets it through.
 */
function loopOverMemory(opts: { applyQueueProposalsMax?: number; appendGate?: Promise<void>; inFlightMax?: number; hold?: (append: AppendRequest) => Promise<void>; peers?: BatchPeers } = {}) {
  const state: NodeState = { store: new MvccStore(), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => Date.now() };
  /** last revisions of the appends stored, in the order they were stored */
  const appends: number[] = [];
  /** last revisions of the appends sent (retries included), in the order they were sent */
  const sent: number[] = [];
  const published: number[] = [];
  let chain = 0;
  const messenger = {
    request: async (_subject: string, data: Uint8Array) => {
      const append = codecs.appendRequest.decode(data);
      sent.push(Number(append.last_revision));
      await opts.appendGate;
      await opts.hold?.(append);
      const index = Number(append.append_index);
      if (index > chain + 1) {
        return { data: codecs.appendReply.encode({ durable_revision: 0, error: { name: 'Unknown', message: 'OutOfOrderAppendError' }, fenced: false }) };
      }
      if (index === chain + 1) {
        chain = index;
        appends.push(Number(append.last_revision));
      }
      return { data: codecs.appendReply.encode({ durable_revision: append.last_revision }) };
    },
    publish: (_subject: string, data: Uint8Array) => {
      for (const p of codecs.patchBatch.decode(data).patches) published.push(Number(p.revision));
    },
  } as unknown as Messenger;
  const inFlightMax = opts.inFlightMax ?? 2;
  const pipeline = new AppendPipeline({
    messenger,
    subject: 'append',
    inFlightMax,
    appendTimeoutMs: 1_000,
    fencingEpoch: 1,
    onFenced: (reason: string) => assert.fail(`fenced: ${reason}`),
    appendBytesMax: 64 * 1024 * 1024,
    log,
  });
  const loop = new ApplyLoop({
    messenger,
    state,
    identity: { cluster_id: 1, member_id: 1, raft_term: 1, epoch: 'spec' },
    subjects: { patch: 'patch' },
    batchProposalsMax: 4096,
    batchBytesMax: 4 * 1024 * 1024,
    applyQueueProposalsMax: opts.applyQueueProposalsMax ?? 10_000,
    applyQueueBytesMax: 256 * 1024 * 1024,
    limits: { maxResponseBytes: 1024 * 1024, leasesMax: 2 },
    appends: pipeline,
    uncommittedBatchesMax: inFlightMax,
    persistence: 'sync',
    historyCutter: new HistoryCutter({ minOps: 0, opsPerLiveEntry: 1, documentBytesMax: 1 << 20, log }),
    peers: opts.peers,
    log,
  });
  return { state, loop, appends, sent, published };
}

/** Enqueues a request as a frontend would and resolves with the backend's reply. */
function propose(loop: ApplyLoop, request: ProposeRequest): Promise<ProposeReply> {
  return new Promise((resolve) => {
    const data = codecs.proposeRequest.encode(request);
    const msg: Message = { subject: 'propose', data, reply: 'r', header: () => undefined, respond: (payload) => resolve(codecs.proposeReply.decode(payload)) };
    loop.enqueue({ msg, request: codecs.proposeRequest.decode(data), bytes: data.length, trace: context.active() });
  });
}

const put = (id: number, key: string) => ({ id, op: 'request' as const, request: { request: 'request_put' as const, request_put: { key: Buffer.from(key), value: Buffer.from('v') } } });

describe('apply loop bounds', () => {
  test('an append larger than the persister takes from one sender is refused, not retried', () => {
    assert.match(appendTooLarge(4097, 4096, 12) ?? '', /revisions up to 12 is 4097 bytes, more than the persister takes from one sender \(4096/);
    assert.equal(appendTooLarge(4096, 4096, 12), undefined);
  });

  test('a request whose deadline has passed is answered with a timeout and changes nothing', async () => {
    const { state, loop, appends } = loopOverMemory();
    const reply = await propose(loop, { frontend_id: 'fe', deadline_ms: Date.now() - 1, proposals: [put(1, 'late')] });
    assert.equal(reply.error?.name, 'Timeout');
    assert.equal(state.store.revision, 1);
    assert.deepEqual(appends, []);
    const inTime = await propose(loop, { frontend_id: 'fe', deadline_ms: Date.now() + 5_000, proposals: [put(2, 'in-time')] });
    assert.equal(inTime.error, null);
    assert.equal(Number(inTime.results[0]!.revision), 2);
    assert.equal(state.store.range({ key: Buffer.from('late') }).count, 0);
  });

  test('requests beyond the apply queue bound are refused with too many requests', async () => {
    const { loop } = loopOverMemory({ applyQueueProposalsMax: 2, inFlightMax: 2 });
    // The first two requests are taken at once (two appends in flight); the next ones wait for the first commit.
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => propose(loop, { frontend_id: 'fe', proposals: [put(i, `k${i}`)] })));
    assert.deepEqual(
      replies.map((r) => r.error?.name ?? 'ok'),
      ['ok', 'ok', 'ok', 'ok', 'TooManyRequests', 'TooManyRequests'],
    );
  });

  test('keep-alives are answered without an append; grants beyond ECKD_LEASES_MAX are refused', async () => {
    const { loop, appends } = loopOverMemory();
    const grants = await propose(loop, { frontend_id: 'fe', proposals: [1, 2, 3].map((id) => ({ id, op: 'lease_grant' as const, lease_grant: { ID: String(id), TTL: '60' } })) });
    assert.deepEqual(grants.results.map((r) => r.error?.name ?? r.result), ['lease_grant', 'lease_grant', 'TooManyRequests']);
    const appendsBefore = appends.length;
    const keepAlive = await propose(loop, { frontend_id: 'fe', proposals: [{ id: 4, op: 'lease_keep_alive', lease_keep_alive: { ID: '1' } }] });
    assert.equal(Number(keepAlive.results[0]!.lease_keep_alive?.['TTL']), 60);
    assert.equal(appends.length, appendsBefore);
  });

  test('a lease read that arrives while a batch is being stored is answered after that batch', async () => {
    let release = () => {};
    const { loop } = loopOverMemory({ appendGate: new Promise<void>((r) => (release = r)) });
    const order: string[] = [];
    const grant = propose(loop, { frontend_id: 'fe', proposals: [{ id: 1, op: 'lease_grant', lease_grant: { ID: '7', TTL: '60' } }] }).then(() => order.push('grant'));
    const keepAlive = propose(loop, { frontend_id: 'fe', proposals: [{ id: 2, op: 'lease_keep_alive', lease_keep_alive: { ID: '7' } }] }).then((r) => {
      order.push(`keep-alive TTL ${String(r.results[0]!.lease_keep_alive?.['TTL'])}`);
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(order, []);
    release();
    await Promise.all([grant, keepAlive]);
    assert.deepEqual(order, ['grant', 'keep-alive TTL 60']);
  });

  test('a write whose reply is over the send limit is applied and answered with grpc\'s error', async () => {
    const { state, loop } = loopOverMemory();
    const big = Buffer.alloc(600 * 1024, 'x');
    for (const key of ['a', 'b']) await propose(loop, { frontend_id: 'fe', proposals: [{ id: 1, op: 'request', request: { request: 'request_put' as const, request_put: { key: Buffer.from(key), value: big } } }] });
    const all = { request_range: { key: Buffer.from([0]), range_end: Buffer.from([0]) } };
    const txn = { success: [{ request_put: { key: Buffer.from('c'), value: Buffer.from('1') } }, all] };
    const reply = await propose(loop, { frontend_id: 'fe', proposals: [{ id: 9, op: 'request', request: { request: 'request_txn', request_txn: txn } }] });
    assert.equal(reply.results[0]!.error?.name, 'ResponseTooLarge');
    assert.match(reply.results[0]!.error!.message, /^grpc: trying to send message larger than max \(\d+ vs\. 1048576\)$/);
    assert.equal(state.store.range({ key: Buffer.from('c') }).count, 1);
  });
});

describe('apply loop: auth changes and the auth revision of writes', () => {
  const hash = Buffer.from('$2a$10$abcdefghijklmnopqrstuuWvYvW1d7c1JmZtq8CSpWjTxg2xA2Zc6', 'latin1').toString('base64');
  const auth = (id: number, change: NonNullable<ProposeRequest['proposals'][number]['auth']>) => ({ id, op: 'auth' as const, auth: change });

  test('an auth change is applied and written into the document; a refused one is an error value', async () => {
    const { state, loop } = loopOverMemory();
    const reply = await propose(loop, {
      frontend_id: 'f',
      proposals: [
        auth(1, { op: 'user_add', user_add: { name: 'root', hashedPassword: hash } }),
        auth(2, { op: 'user_add', user_add: { name: 'root', hashedPassword: hash } }),
        auth(3, { op: 'auth_enable', auth_enable: {} }),
      ],
    });
    assert.equal(reply.results[0]!.auth?.auth_revision, '2');
    assert.equal(reply.results[1]!.error?.name, 'UserAlreadyExist');
    assert.equal(reply.results[2]!.error?.name, 'RootRoleNotExist');
    assert.deepEqual(state.doc.authRecords().map((r) => r.key).sort(), ['auth:meta', 'auth:user:root']);
  });

  test('with auth enabled, a frontend write checked at an older auth revision, or with auth off (0), is refused', async () => {
    const { state, loop } = loopOverMemory();
    await propose(loop, {
      frontend_id: 'f',
      proposals: [
        auth(1, { op: 'user_add', user_add: { name: 'root', hashedPassword: hash } }),
        auth(2, { op: 'user_grant_role', user_grant_role: { user: 'root', role: 'root' } }),
        auth(3, { op: 'auth_enable', auth_enable: {} }),
      ],
    });
    assert.equal(state.auth.enabled, true);
    const current = state.auth.revision;
    const reply = await propose(loop, {
      frontend_id: 'f',
      proposals: [
        { ...put(4, 'k'), auth_revision: 0 },
        { ...put(5, 'k'), auth_revision: current - 1 },
        { ...put(6, 'k'), auth_revision: current },
      ],
    });
    assert.equal(reply.results[0]!.error?.name, 'AuthOldRevision');
    assert.equal(reply.results[1]!.error?.name, 'AuthOldRevision');
    assert.equal(reply.results[2]!.result, 'response');
  });
});

describe('apply loop: pipelined appends', () => {
  /** Holds each append (by its last revision) until released. */
  function holds() {
    const gates = new Map<number, { promise: Promise<void>; release: () => void }>();
    const gate = (revision: number) => {
      let g = gates.get(revision);
      if (!g) {
        let release = () => {};
        const promise = new Promise<void>((r) => (release = r));
        g = { promise, release };
        gates.set(revision, g);
      }
      return g;
    };
    return { hold: (append: AppendRequest) => gate(Number(append.last_revision)).promise, release: (revision: number) => gate(revision).release() };
  }
  const settle = () => new Promise((r) => setTimeout(r, 20));

  test('the next batch is evaluated while an append is in flight; replies and patches follow the commits, in order', async () => {
    const { hold, release } = holds();
    const { loop, appends, sent, published } = loopOverMemory({ inFlightMax: 2, hold });
    const answered: string[] = [];
    const write = (key: string) => propose(loop, { frontend_id: 'fe', proposals: [put(1, key)] }).then((r) => answered.push(`${key}@${String(r.results[0]!.revision)}`));
    const a = write('a');
    await settle();
    const b = write('b');
    await settle();
    const c = write('c');
    await settle();
    assert.deepEqual(sent, [2, 3], 'b evaluated and sent while a is in flight; c waits: two batches uncommitted');
    assert.equal(loop.publishedRevision, 1);
    // b's append reaches storage first: refused, out of order; nothing answered
    release(3);
    await settle();
    assert.deepEqual(appends, []);
    assert.deepEqual(answered, []);
    assert.equal(loop.publishedRevision, 1);
    release(2);
    release(4);
    await Promise.all([a, b, c]);
    assert.deepEqual(appends, [2, 3, 4], 'stored in order');
    assert.deepEqual(sent, [2, 3, 3, 4], "b sent again once a was acknowledged; c once a's commit made room");
    assert.deepEqual(answered, ['a@2', 'b@3', 'c@4']);
    assert.deepEqual(published, [2, 3, 4]);
    assert.equal(loop.publishedRevision, 4);
  });

  test('with ECKD_APPENDS_IN_FLIGHT_MAX=1 the next batch waits for the commit', async () => {
    const { hold, release } = holds();
    const { loop, sent } = loopOverMemory({ inFlightMax: 1, hold });
    const a = propose(loop, { frontend_id: 'fe', proposals: [put(1, 'a')] });
    await settle();
    const b = propose(loop, { frontend_id: 'fe', proposals: [put(1, 'b')] });
    await settle();
    assert.deepEqual(sent, [2]);
    release(2);
    release(3);
    await Promise.all([a, b]);
    assert.deepEqual(sent, [2, 3]);
  });

  test('a batch that needs no append, evaluated on a batch in flight, is answered after that batch', async () => {
    const { hold, release } = holds();
    const { loop } = loopOverMemory({ inFlightMax: 2, hold });
    const order: string[] = [];
    const a = propose(loop, { frontend_id: 'fe', proposals: [put(1, 'a')] }).then(() => order.push('put a'));
    await settle();
    const deleteNothing = { id: 2, op: 'request' as const, request: { request: 'request_delete_range' as const, request_delete_range: { key: Buffer.from('missing') } } };
    const noop = propose(loop, { frontend_id: 'fe', proposals: [deleteNothing] }).then((r) => order.push(`delete nothing @${String(r.results[0]!.revision)}`));
    await settle();
    assert.deepEqual(order, []);
    release(2);
    await Promise.all([a, noop]);
    assert.deepEqual(order, ['put a', 'delete nothing @2']);
  });

  test('appends beyond the in-flight bound wait to be sent; acknowledgements resolve in order', async () => {
    const { hold, release } = holds();
    const { sent } = loopOverMemory({ hold });
    const messengerOf = { request: async (_s: string, data: Uint8Array) => {
      const append = codecs.appendRequest.decode(data);
      sent.push(Number(append.last_revision));
      await hold(append);
      return { data: codecs.appendReply.encode({ durable_revision: append.last_revision }) };
    } } as unknown as Messenger;
    const pipeline = new AppendPipeline({ messenger: messengerOf, subject: 'append', inFlightMax: 2, appendTimeoutMs: 1_000, fencingEpoch: 1, onFenced: (reason: string) => assert.fail(reason), appendBytesMax: 1 << 20, log });
    const content = (revision: number) => ({ actor: Buffer.alloc(0), seq: 0, change: Buffer.alloc(0), first_revision: revision, last_revision: revision, patch_batch: Buffer.from('p'), compacted: false, compact_revision: 0 });
    const acknowledged: number[] = [];
    const all = [10, 11, 12].map((r) => pipeline.store(content(r)).then(() => acknowledged.push(r)));
    await settle();
    assert.deepEqual(sent, [10, 11], 'the third waits for a slot');
    release(11);
    await settle();
    assert.deepEqual(acknowledged, [], "11's acknowledgement waits for 10's");
    release(10);
    release(12);
    await Promise.all(all);
    assert.deepEqual(acknowledged, [10, 11, 12]);
    assert.deepEqual(sent, [10, 11, 12]);
    assert.equal(pipeline.unacknowledged, 0);
  });

  test("what a batch takes for after its commit is done even when it stored nothing (a peer's identical grant)", async () => {
    const { hold, release } = holds();
    const done: string[] = [];
    let work = false;
    const peers: BatchPeers = {
      hasWork: () => work,
      beforeProposals: () => {
        work = false;
        return [];
      },
      originOf: (state) => ({ member: 1n, revision: BigInt(state.store.revision) }),
      syncStatesToStore: () => [],
      whenAppended: (change) => () => done.push(change ? 'with a change' : 'nothing stored'),
      afterStored: () => undefined,
      cutAcceptorToStore: () => undefined,
      lineageToDrop: () => undefined,
      batchApplied: () => undefined,
      switchDue: () => false,
      switchAt: () => Promise.resolve(undefined),
    };
    const { loop } = loopOverMemory({ inFlightMax: 2, hold, peers });
    const a = propose(loop, { frontend_id: 'fe', proposals: [put(1, 'a')] });
    await settle();
    work = true;
    loop.wake();
    await settle();
    assert.deepEqual(done, [], 'after the batch in flight');
    release(2);
    await a;
    await settle();
    assert.deepEqual(done, ['with a change', 'nothing stored']);
  });

  test("a voter's state in the cut agreement, and a lineage let go, are appended by a batch with nothing else; the acceptor hears so only once that append committed", async () => {
    const { hold, release } = holds();
    const carried: unknown[] = [];
    const dropped: unknown[] = [];
    const state = { lineage: 'a'.repeat(64), cut: '1', promised: { round: '2', member: '7' }, accepted: null };
    let waiting: typeof state | undefined;
    let dropping: string | undefined;
    let persisted = false;
    let applied = 0;
    const peers: BatchPeers = {
      hasWork: () => waiting !== undefined || dropping !== undefined,
      beforeProposals: () => [],
      originOf: (s) => ({ member: 1n, revision: BigInt(s.store.revision) }),
      syncStatesToStore: () => [],
      whenAppended: () => () => undefined,
      afterStored: () => undefined,
      cutAcceptorToStore: () => {
        const taken = waiting;
        waiting = undefined;
        return taken && { state: taken, settle: (stored) => void stored.then(() => (persisted = true)) };
      },
      lineageToDrop: () => {
        const taken = dropping;
        dropping = undefined;
        return taken;
      },
      batchApplied: () => void applied++,
      switchDue: () => false,
      switchAt: () => Promise.resolve(undefined),
    };
    const { loop, appends } = loopOverMemory({
      hold: (append) => {
        carried.push(append.cut_acceptor);
        dropped.push(append.drop_lineage);
        return hold(append);
      },
      peers,
    });
    waiting = state;
    loop.wake();
    await settle();
    assert.deepEqual(carried, [state], 'one append, carrying the state');
    assert.equal(persisted, false, 'not before the append committed');
    assert.equal(applied, 1, 'the acceptor heard that a batch was applied');
    release(1);
    await settle();
    assert.equal(persisted, true);
    assert.deepEqual(appends, [1], 'stored in the append chain, no revision of its own');

    // A lineage let go after a cut (§8.10, 5): its drop is appended alone too.
    dropping = '';
    loop.wake();
    await settle();
    assert.deepEqual(carried.map((c) => c ?? undefined), [state, undefined], 'a second append');
    assert.deepEqual(appends, [1, 1], 'no revision of its own either');
    assert.deepEqual(dropped.map((d) => d ?? undefined), [undefined, { lineage: '' }], 'the original lineage (empty on the wire) is named');
  });
});
