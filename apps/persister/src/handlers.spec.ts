// The persister's append and load handlers on an in-memory messenger (so a
// test decides what is lost or late) and a real Postgres database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import type { AppendRequest, LoadChunk } from '@eckd/change-codec';
import { createLogger, MemoryNetwork } from '@eckd/service-kit';
import type { Messenger } from '@eckd/service-kit';
import { claimFencingEpoch, createPool, durableRevision, migrate, readCompactRevision } from '@eckd/storage';
import { createTestDatabase } from '@eckd/testing';
import type { TestDatabase } from '@eckd/testing';
import type pg from 'pg';
import { createAppendHandler } from './append.handler.js';
import { createLoadHandler } from './load.handler.js';

const log = createLogger('persister-spec', { level: 'error' });
const subjects = nodeSubjects({ prefix: 'test', node: 'n1' });

let db: TestDatabase;
let pool: pg.Pool;
/** the epoch a backend's load would have claimed: appends carry it */
let fencingEpoch: number;

before(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url);
  await migrate(pool);
  fencingEpoch = await claimFencingEpoch(pool);
});

after(async () => {
  await pool.end();
  await db.drop();
});

function persister(chunkBytes = 64 * 1024) {
  const net = new MemoryNetwork();
  const server = net.messenger(log);
  server.subscribe(subjects.append, createAppendHandler(pool, log));
  server.subscribe(subjects.load, createLoadHandler(server, pool, chunkBytes, log));
  return { net, backend: net.messenger(log) };
}

function batch(revision: number, opts: Partial<AppendRequest> = {}): AppendRequest {
  const patchBatch = codecs.patchBatch.encode({
    patches: [{ revision, events: [{ type: 'PUT', kv: { key: Buffer.from(`k${revision}`), create_revision: revision, mod_revision: revision, version: 1, value: Buffer.alloc(100, revision), lease: 0 } }] }],
    identity: null,
    compact_revision: 0,
  });
  return {
    actor: Buffer.from('a1'),
    seq: revision,
    change: Buffer.alloc(50, revision),
    first_revision: revision,
    last_revision: revision,
    patch_batch: patchBatch,
    compacted: false,
    compact_revision: 0,
    fencing_epoch: fencingEpoch,
    ...opts,
  };
}

async function append(backend: Messenger, request: AppendRequest, timeoutMs = 5_000) {
  return codecs.appendReply.decode((await backend.request(subjects.append, codecs.appendRequest.encode(request), { timeoutMs })).data);
}

async function load(backend: Messenger): Promise<LoadChunk[]> {
  const chunks: LoadChunk[] = [];
  for await (const m of backend.requestStream(subjects.load, codecs.loadRequest.encode({ backend: 'b1' }), { chunkTimeoutMs: 5_000 })) {
    const chunk = codecs.loadChunk.decode(m.data);
    chunks.push(chunk);
    if (chunk.done) break;
  }
  return chunks;
}

describe('persister handlers', () => {
  test('append answers with the durable revision once the batch is committed', async () => {
    const { backend } = persister();
    for (const revision of [2, 3]) assert.equal(Number((await append(backend, batch(revision))).durable_revision), revision);
    assert.equal(await durableRevision(pool), 3);
  });

  test('a batch whose reply was lost, sent again, is answered again (the backend retries on timeout)', async () => {
    const { net, backend } = persister();
    const restore = net.drop((e) => e.subject.startsWith('_INBOX.'));
    await assert.rejects(append(backend, batch(4), 100), { name: 'MessengerTimeoutError' });
    restore();
    const reply = await append(backend, batch(4));
    assert.equal(reply.error ?? null, null);
    assert.equal(Number(reply.durable_revision), 4);
  });

  test('a malformed message or rebase is answered with an error and stores nothing', async () => {
    const { backend } = persister();
    const garbage = codecs.appendReply.decode((await backend.request(subjects.append, Buffer.from([0xff, 0xff, 0xff]), { timeoutMs: 5_000 })).data);
    assert.ok(garbage.error);
    const rebase = await append(backend, batch(5, { rebase: { document: Buffer.alloc(0), heads: [], key_count: 0 } }));
    assert.match(rebase.error?.message ?? '', /rebase needs its document/);
    assert.equal(await durableRevision(pool), 4);
  });

  test('load streams every stored change and patch batch in chunks, the compact revision on the last', async () => {
    const { backend } = persister(256);
    await append(backend, batch(5, { compacted: true, compact_revision: 3 }));
    const chunks = await load(backend);
    assert.ok(chunks.length > 1, `several chunks (${chunks.length})`);
    assert.deepEqual(chunks.map((c) => c.index), chunks.map((_, i) => i));
    assert.equal(chunks.filter((c) => c.done).length, 1);
    assert.equal(chunks.flatMap((c) => c.changes).length, 4, 'the changes of revisions 2..5');
    assert.equal(chunks.flatMap((c) => c.patch_batches).length, 4);
    const last = chunks.at(-1)!;
    assert.equal(last.compacted, true);
    assert.equal(Number(last.compact_revision), await readCompactRevision(pool));
    // The load claimed the next fencing epoch: the previous one's appends are refused.
    assert.equal(Number(last.fencing_epoch), fencingEpoch + 1);
    const stale = await append(backend, batch(6));
    assert.equal(stale.fenced, true);
    assert.equal(await durableRevision(pool), 5);
    fencingEpoch = Number(last.fencing_epoch);
  });

  test("a voter's cut state is stored with its batch and comes back on the load's last chunk; a lower promise never replaces a higher one", async () => {
    const { backend } = persister();
    const lineage = 'a'.repeat(64);
    const proposal = { lineage, cut: '1', heads: ['b'.repeat(64)], floor_excluded: [], proposer: '7' };
    const promisedHigh = { lineage, cut: '1', promised: { round: '2', member: '7' }, accepted: { ballot: { round: '2', member: '7' }, proposal } };
    assert.equal((await append(backend, batch(6, { cut_acceptor: promisedHigh, append_index: 0 }))).error ?? null, null);
    // A lower ballot's promise (an older state sent again) is stored with its batch but leaves the voter's state alone.
    const promisedLow = { lineage, cut: '1', promised: { round: '1', member: '9' } };
    assert.equal((await append(backend, batch(7, { cut_acceptor: promisedLow }))).error ?? null, null);
    assert.equal(await durableRevision(pool), 7);
    // An acceptance above the promise is malformed: refused, nothing stored.
    const bad = { lineage, cut: '1', promised: { round: '1', member: '7' }, accepted: { ballot: { round: '2', member: '7' }, proposal } };
    assert.match((await append(backend, batch(8, { cut_acceptor: bad }))).error?.message ?? '', /no ballot above its promise/);
    assert.equal(await durableRevision(pool), 7);

    const last = (await load(backend)).at(-1)!;
    fencingEpoch = Number(last.fencing_epoch);
    assert.deepEqual(last.cut_acceptor_states, [promisedHigh]);
  });

  test("a coordinated switch's record is stored with its snapshot and comes back on the load's last chunk; a record that does not match its rebase is refused", async () => {
    const { backend } = persister();
    const [previous, lineage] = ['c'.repeat(64), 'd'.repeat(64)];
    const cut_record = { proposal: { lineage: previous, cut: '2', heads: ['e'.repeat(64)], floor_excluded: [], proposer: '7' }, seqs_in_cut: [{ actor: 'a1', seq: '8' }] };
    const rebase = { document: Buffer.from('base'), heads: ['f'.repeat(64)], key_count: 1, lineage, cut_record, previous_lineage: previous };
    const wrong = await append(backend, batch(8, { rebase: { ...rebase, previous_lineage: lineage } }));
    assert.match(wrong.error?.message ?? '', /switch names the new lineage/);
    assert.equal((await append(backend, batch(8, { rebase }))).error ?? null, null);
    const last = (await load(backend)).at(-1)!;
    assert.deepEqual(last.cut_record, cut_record);
  });
});
