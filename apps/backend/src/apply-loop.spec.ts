import { emptyAuthState } from '@eckd/auth';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context } from '@opentelemetry/api';
import { createKvDocument } from '@eckd/automerge-doc';
import { codecs } from '@eckd/change-codec';
import type { ProposeReply, ProposeRequest } from '@eckd/change-codec';
import { LeaseStore, MvccStore } from '@eckd/mvcc';
import { createLogger } from '@eckd/service-kit';
import type { Message, Messenger } from '@eckd/service-kit';
import { ApplyLoop, appendTooLarge } from './apply-loop.js';
import { HistoryCutter } from './history-cut.js';
import type { NodeState } from './write-application.js';

const log = createLogger('apply-loop-spec');

/** A loop over an in-memory node whose persister acknowledges every append at once. */
function loopOverMemory(opts: { applyQueueProposalsMax?: number; appendGate?: Promise<void> } = {}) {
  const state: NodeState = { store: new MvccStore(), doc: createKvDocument(), leases: new LeaseStore(), auth: emptyAuthState(), now: () => Date.now() };
  const appends: number[] = [];
  const messenger = {
    request: async (_subject: string, data: Uint8Array) => {
      const append = codecs.appendRequest.decode(data);
      await opts.appendGate;
      appends.push(Number(append.last_revision));
      return { data: codecs.appendReply.encode({ durable_revision: append.last_revision }) };
    },
    publish: () => undefined,
  } as unknown as Messenger;
  const loop = new ApplyLoop({
    messenger,
    state,
    identity: { cluster_id: 1, member_id: 1, raft_term: 1, epoch: 'spec' },
    subjects: { patch: 'patch', append: 'append' },
    batchProposalsMax: 4096,
    batchBytesMax: 4 * 1024 * 1024,
    applyQueueProposalsMax: opts.applyQueueProposalsMax ?? 10_000,
    applyQueueBytesMax: 256 * 1024 * 1024,
    limits: { maxResponseBytes: 1024 * 1024, leasesMax: 2 },
    appendTimeoutMs: 1_000,
    persistence: 'sync',
    historyCutter: new HistoryCutter({ minOps: 0, opsPerLiveEntry: 1, documentBytesMax: 1 << 20, log }),
    fencingEpoch: 1,
    onFenced: (reason) => assert.fail(`fenced: ${reason}`),
    appendBytesMax: 64 * 1024 * 1024,
    log,
  });
  return { state, loop, appends };
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
    const { loop } = loopOverMemory({ applyQueueProposalsMax: 2 });
    // The first request is taken at once; the next ones wait for its append.
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => propose(loop, { frontend_id: 'fe', proposals: [put(i, `k${i}`)] })));
    assert.deepEqual(
      replies.map((r) => r.error?.name ?? 'ok'),
      ['ok', 'ok', 'ok', 'TooManyRequests', 'TooManyRequests'],
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
