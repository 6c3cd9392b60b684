// The switch's append through a real persister process (the built app) on a
// fresh Postgres database, and a load after it (ARCHITECTURE §8.10, rule 4):
// the batch that switches carries `Rebase{base ‖ translations, cut record,
// previous lineage}` (sent twice, as when its reply is lost), a later batch
// writes on the new lineage, and recovery comes back on the new lineage with
// the same state and the cut's record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { baseChangeHash, createKvDocument, lineageIdOnWire } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import type { AppendRequest, CutProposal, LoadChunk } from '@eckd/change-codec';
import { MvccStore } from '@eckd/mvcc';
import type { RevisionPatch, WriteOp } from '@eckd/mvcc';
import { NatsMessenger, createLogger } from '@eckd/service-kit';
import { builtAppMain, createTestDatabase, isReadyLine, randomHex, repoRoot, startNatsServer, startProcess } from '@eckd/testing';
import type { NatsServer, ProcessHandle, TestDatabase } from '@eckd/testing';
import { RecoveryAssembler, checkedLeases } from '../recovery.js';
import { CutSwitch, isCutSwitchError } from './cut-switch.js';

const log = createLogger('cut-switch-storage-spec', { level: 'error' });
/** The build bundles the worker with the libraries it uses (as the persister this spec starts). */
const workerUrl = new URL('../../dist/cut-base.worker.js', import.meta.url);
const node = 'node1';
const member = 1n;
const memberHex = member.toString(16).padStart(16, '0');

let server: NatsServer;
let db: TestDatabase;
let persister: ProcessHandle;
let nc: NatsConnection;
let messenger: NatsMessenger;
let prefix: string;

before(async () => {
  server = await startNatsServer({ jetstream: false });
  db = await createTestDatabase();
  prefix = `cutsw${randomHex(4)}`;
  persister = await startProcess({
    name: `${node}/persister`,
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('persister')],
    env: { NATS_URL: server.url, ECKD_SUBJECT_PREFIX: prefix, ECKD_NODE_NAME: node, DATABASE_URL: db.url },
    cwd: repoRoot(),
    readyLine: isReadyLine,
    readyTimeoutMs: 60_000,
  });
  nc = await connect({ servers: server.url });
  messenger = new NatsMessenger(nc, { log });
});

after(async () => {
  await nc?.close();
  await persister?.stop();
  await db?.drop();
  await server?.stop();
});

const subjects = () => nodeSubjects({ prefix, node });

/** A backend's load: claims the next fencing epoch; the chunks as sent. */
async function load(): Promise<LoadChunk[]> {
  const chunks: LoadChunk[] = [];
  for await (const m of messenger.requestStream(subjects().load, codecs.loadRequest.encode({ backend: randomHex(8) }), { chunkTimeoutMs: 10_000 })) {
    const chunk = codecs.loadChunk.decode(m.data);
    if (chunk.error) throw new Error(`load failed: ${chunk.error.message}`);
    chunks.push(chunk);
    if (chunk.done) return chunks;
  }
  throw new Error('load ended without its last chunk');
}

/** One member's batches, written to its document and key index and appended in its chain, as its apply loop does. */
class Batches {
  doc: KvDocument = createKvDocument({ actorId: 'a1'.repeat(16) });
  readonly store = new MvccStore();
  #index = 0;
  #hlc = 100n;
  constructor(readonly fencingEpoch: number) {}

  /** Evaluates one batch of writes on the document and the key index; the append is left to `append`. */
  evaluate(writes: Write[]): Omit<AppendRequest, 'fencing_epoch' | 'append_index'> {
    const first = this.store.revision + 1;
    const patches: RevisionPatch[] = [];
    for (const { key, value } of writes) {
      const op: WriteOp = value === undefined ? { delete_range: { key: Buffer.from(key) } } : { put: { key: Buffer.from(key), value: Buffer.from(value) } };
      const w = this.store.write(op, { leaseExists: () => true });
      patches.push({ revision: w.revision, events: w.events });
      const tag = { hlc: ++this.#hlc, member };
      if (value === undefined) this.doc.deleteTagged(key, tag, BigInt(w.revision));
      else this.doc.putTagged(key, Buffer.from(value), '0', tag, BigInt(w.revision));
    }
    const change = this.doc.commit({ member, revision: BigInt(this.store.revision) })!;
    return {
      actor: Buffer.from(change.actorId, 'hex'),
      seq: change.seq,
      change: change.bytes,
      first_revision: first,
      last_revision: this.store.revision,
      patch_batch: codecs.patchBatch.encode({ patches: patches as never[], identity: null, compact_revision: -1 }),
      compacted: false,
      compact_revision: 0,
      lineage: lineageIdOnWire(this.doc.lineage()),
    };
  }

  #last: Uint8Array | undefined;

  async append(content: Omit<AppendRequest, 'fencing_epoch' | 'append_index'>): Promise<void> {
    this.#last = codecs.appendRequest.encode({ ...content, fencing_epoch: this.fencingEpoch, append_index: ++this.#index });
    await this.#send(this.#last, content.last_revision);
  }

  /** The last append sent again, as the backend does when its reply is lost. */
  retryLast(lastRevision: AppendRequest['last_revision']): Promise<void> {
    return this.#send(this.#last!, lastRevision);
  }

  async #send(request: Uint8Array, lastRevision: AppendRequest['last_revision']): Promise<void> {
    const reply = codecs.appendReply.decode((await messenger.request(subjects().append, request, { timeoutMs: 10_000 })).data);
    if (reply.error) throw new Error(`append failed: ${reply.error.message}`);
    assert.equal(Number(reply.durable_revision), Number(lastRevision));
  }
}

/** A put, or a delete (no value); keys are ASCII here. */
interface Write {
  key: string;
  value?: string;
}
const put = (key: string, value: string): Write => ({ key, value });
const del = (key: string): Write => ({ key });

function shown(doc: KvDocument): string[] {
  return doc.keys().map((k) => `${k}=${Buffer.from(doc.get(k)!.value).toString()}`);
}

describe('cut switch through the persister', () => {
  test("the switch's append stores the new lineage with its record; a load recovers it with the same state", async () => {
    const epoch = Number((await load()).at(-1)!.fencing_epoch);
    const b = new Batches(epoch);
    await b.append(b.evaluate(Array.from({ length: 300 }, (_, i) => put(`key${String(i).padStart(3, '0')}`, `v${i}`))));
    await b.append(b.evaluate([put('key000', 'again'), del('key001')]));
    const heads = b.doc.heads();
    await b.append(b.evaluate([put('after', 'H'), del('key002')]));

    const proposal: CutProposal = { lineage: baseChangeHash, cut: '1', heads, floor_excluded: [], proposer: '1' };
    const sw = CutSwitch.start(b.doc, proposal, { documentBytesMax: 1 << 20, workerUrl, log });
    assert.ok(!isCutSwitchError(sw));
    assert.equal(await sw.whenBuilt(), undefined);
    // Batch M: evaluated on the old document; its append carries the switch, made after it.
    const batchM = b.evaluate([put('batch M', 'switching'), put('key003', 'at M')]);
    const old = b.doc;
    const switched = await sw.switchAt(old, b.store.keyCount());
    assert.ok(!isCutSwitchError(switched));
    assert.deepEqual(shown(switched.doc), shown(old));
    await b.append({ ...batchM, rebase: switched.rebase });
    await b.retryLast(batchM.last_revision); // its reply lost: the same switch again changes nothing
    b.doc = switched.doc;
    // The next batch writes on the new lineage.
    await b.append(b.evaluate([put('on the new lineage', 'yes'), del('key004')]));
    const expected = shown(b.doc);

    // A restarted backend's load (it takes the next fencing epoch).
    const chunks = await load();
    const recovery = new RecoveryAssembler();
    for (const chunk of chunks) recovery.accept(chunk);
    const { doc, store } = recovery.finish();
    assert.deepEqual(doc.lineage(), switched.lineage);
    assert.deepEqual(doc.lineage(), { id: sw.base!.lineage, cut: 1 });
    assert.deepEqual(shown(doc), expected);
    assert.equal(store.revision, b.store.revision);
    checkedLeases(doc, store, { memberHex, band: 0 }); // the document and the key index hold the same keys
    assert.deepEqual(chunks.at(-1)!.cut_record, switched.rebase.cut_record);
    assert.ok(chunks[0]!.snapshot, 'recovery starts from the switch snapshot');
    assert.equal(Number(chunks[0]!.snapshot!.through_revision), Number(batchM.last_revision));
    assert.deepEqual([...doc.heads()].sort(), [...b.doc.heads()].sort());
    for (const d of [doc, old, b.doc]) d.free();
    await sw.release();
  });
});
