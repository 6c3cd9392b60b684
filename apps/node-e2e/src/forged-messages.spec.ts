// Forged and malformed NATS messages on every subject of a real node (the
// test NATS has no users, so anyone may publish): garbage bytes, truncated
// protobufs and well-formed messages with impossible values. Afterwards every
// process still runs, writes and reads are served, and no acknowledged write
// is lost (docs/ARCHITECTURE.md §4, "Trust and permissions").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { connect, createInbox } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { authCodecs, codecs, conflictsCodecs, maintenanceCodecs, membersCodecs, nodeSubjects } from '@eckd/change-codec';
import type { NodeSubjects } from '@eckd/change-codec';
import { builtAppMain, isReadyLine, startProcess } from '@eckd/testing';
import type { ProcessHandle } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

const keysPerRound = 20;
const identity = { cluster_id: '1', member_id: '1', raft_term: '1', epoch: 'forged' };
/** How long the node gets to trip over the forged messages before it is checked. */
const settleMs = 1500;

let fixture: NodeFixture;
let compactor: ProcessHandle;
let nc: NatsConnection;
let client: Etcd3;
let subjects: NodeSubjects;

before(async () => {
  fixture = await startNodeFixture({ nodeName: 'forged' });
  subjects = nodeSubjects({ prefix: fixture.subjectPrefix, node: fixture.node.nodeName });
  compactor = await startProcess({
    name: 'forged/compactor',
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('compactor')],
    env: {
      NATS_URL: fixture.nats.url,
      ECKD_SUBJECT_PREFIX: fixture.subjectPrefix,
      ECKD_NODE_NAME: fixture.node.nodeName,
      DATABASE_URL: fixture.db.url,
      ECKD_COMPACT_INTERVAL_MS: '3600000',
    },
    readyLine: isReadyLine,
  });
  nc = await connect({ servers: fixture.nats.url });
  client = new Etcd3({ hosts: `http://${fixture.node.endpoints[0]}` });
});

after(async () => {
  client?.close();
  await nc?.close();
  await compactor?.stop();
  await fixture?.stop();
});

/** Every well-formed message with impossible values, per subject. */
function impossibleMessages(): Record<keyof NodeSubjects, Uint8Array[]> {
  const patch = (revision: string, compact = '-1', withIdentity = true) =>
    codecs.patchBatch.encode({ patches: [{ revision, events: [] }], identity: withIdentity ? identity : null, compact_revision: compact });
  const append = (fields: Record<string, unknown>) =>
    codecs.appendRequest.encode({
      actor: Buffer.from('ab', 'hex'),
      seq: 1,
      change: Buffer.from('forged'),
      first_revision: 1,
      last_revision: 1,
      patch_batch: Buffer.from('x'),
      compacted: false,
      compact_revision: 0,
      ...fields,
    });
  return {
    propose: [
      codecs.proposeRequest.encode({ frontend_id: '', proposals: [{ id: 1, op: 'request', request: { request_put: { key: Buffer.from('forged'), value: Buffer.from('x') } } }] }),
      codecs.proposeRequest.encode({ frontend_id: 'forger', proposals: [] }),
      codecs.proposeRequest.encode({ frontend_id: 'forger', proposals: [{ id: '-3' }] }),
      codecs.proposeRequest.encode({ frontend_id: 'forger', proposals: [{ id: 1, op: 'compaction', compaction: { revision: '999999999999' } }] }),
    ],
    readIndex: [codecs.readIndexReply.encode({ revision: '-1', epoch: '' })],
    sync: [codecs.syncRequest.encode({ after_revision: '-5' })],
    patch: [patch('-1'), patch('0'), patch('999999999999'), patch('3', '999'), patch('2', '-1', false)],
    append: [
      append({ first_revision: 9, last_revision: 3 }),
      append({ first_revision: '-2', last_revision: '-1' }),
      append({ change: Buffer.alloc(0) }),
      append({ seq: 0 }),
      append({ compacted: true, compact_revision: '999999999999' }),
    ],
    // A newer epoch than any claimed: the backend checks it with the persister and runs on.
    takeover: [codecs.backendTakeover.encode({ fencing_epoch: '999999999' }), codecs.backendTakeover.encode({ fencing_epoch: '-1' })],
    load: [codecs.loadChunk.encode({ index: -1, done: true, changes: [], patch_batches: [], compacted: true, compact_revision: '-9' })],
    // A run request has no fields: what is impossible here is another message type.
    compactorRun: [
      codecs.compactorRunReply.encode({
        ran: true, reason: 'forged', through_revision: '-1', index_revision: '-1', changes_deleted: 0,
        log_rows_deleted: 0, document_bytes: 0, index_bytes: 0, duration_ms: 0,
      }),
    ],
    maintenance: [maintenanceCodecs.maintenanceRequest.encode({})],
    storage: [
      maintenanceCodecs.storageRequest.encode({}),
      maintenanceCodecs.storageRequest.encode({ save_state: { alarms: Array.from({ length: 2000 }, () => ({ memberID: 1, alarm: 'NOSPACE' })), downgrade: null } }),
    ],
    backup: [maintenanceCodecs.backupChunk.encode({ index: -1, done: true, total_bytes: '-1', data: Buffer.alloc(0) })],
    conflicts: [conflictsCodecs.conflictsRequest.encode({ list: null }), conflictsCodecs.conflictsRequest.encode({ list: { limit: '-1', kind: 'forged' } })],
    frontendApplied: [codecs.frontendApplied.encode({ frontend_id: '', revision: 1 }), codecs.frontendApplied.encode({ frontend_id: 'forger', revision: '-1' })],
    peerStored: [codecs.peerStoredRevisions.encode({ members: [{ member: 0, origin_revision: 1 }, { member: 1, origin_revision: '-1' }] })],
    frontends: [
      membersCodecs.frontendAnnouncement.encode({ frontend_id: '', client_urls: ['http://forged:1'], name: 'forged' }),
      membersCodecs.frontendAnnouncement.encode({ frontend_id: 'forger', client_urls: Array.from({ length: 100 }, (_, i) => `http://forged:${i}`), name: 'forged' }),
    ],
    // A members request has no fields: what is impossible here is another message type.
    members: [membersCodecs.membersReply.encode({ members: [{ ID: '0', name: 'forged', peerURLs: [], clientURLs: [], isLearner: false }] })],
    auth: [
      authCodecs.authState.encode({ enabled: true, revision: '-1', users: [], roles: [], token_key: Buffer.from('k'), token_epoch: 0 }),
      authCodecs.authState.encode({ enabled: true, revision: 5, users: [], roles: [], token_key: Buffer.alloc(0), token_epoch: 0 }),
    ],
    // An auth state request has no fields: what is impossible here is another message type.
    authState: [authCodecs.authState.encode({ enabled: true, revision: 0, users: [{ name: Buffer.alloc(0) }], roles: [], token_key: Buffer.alloc(0), token_epoch: '-1' })],
    memberChange: [
      membersCodecs.memberChangeRequest.encode({ kind: 'REMOVE', id: '0', peer_urls: [] }),
      membersCodecs.memberChangeRequest.encode({ kind: 'UPDATE', id: '1', peer_urls: Array.from({ length: 100 }, (_, i) => `http://forged:${i}`) }),
      membersCodecs.memberChangeReply.encode({ error: { name: 'MemberNotFound', message: 'forged' } }),
    ],
    tokenUses: [
      authCodecs.tokenUses.encode({ frontend_id: '', token_ids: [Buffer.alloc(16)] }),
      authCodecs.tokenUses.encode({ frontend_id: 'forger', token_ids: [Buffer.alloc(3)] }),
    ],
  };
}

function malformed(wellFormed: readonly Uint8Array[]): Uint8Array[] {
  const truncated = wellFormed.filter((m) => m.length > 2).map((m) => m.subarray(0, Math.ceil(m.length / 2)));
  return [randomBytes(1), randomBytes(64), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), ...truncated];
}

async function writeKeys(round: string): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  for (let i = 0; i < keysPerRound; i++) {
    const key = `forged/${round}/${i}`;
    await client.put(key).value(`${round}-${i}`);
    written.set(key, `${round}-${i}`);
  }
  return written;
}

function running(): ProcessHandle[] {
  const { persister, backend, frontends } = fixture.node.processes;
  return [persister, backend, ...frontends, compactor];
}

describe('forged and malformed NATS messages', () => {
  test('are refused on every subject; every process runs on and no acknowledged write is lost', { timeout: 120_000 }, async () => {
    const before = await writeKeys('before');
    const impossible = impossibleMessages();
    const replies = createInbox();
    const answers = nc.subscribe(replies);
    let forged = 0;
    for (const [name, messages] of Object.entries(impossible) as [keyof NodeSubjects, Uint8Array[]][]) {
      for (const payload of [...messages, ...malformed(messages), new Uint8Array()]) {
        // Both as a publish and as a request whose replies go nowhere useful.
        nc.publish(subjects[name], payload);
        nc.publish(subjects[name], payload, { reply: replies });
        forged += 2;
      }
    }
    assert.equal(Object.keys(impossible).length, Object.keys(subjects).length, 'every subject is forged on');
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    answers.unsubscribe();

    for (const p of running()) assert.ok(p.running, `${p.name} still runs:\n${p.output()}`);
    const afterKeys = await writeKeys('after');
    for (const [key, value] of [...before, ...afterKeys]) assert.equal(await client.get(key).string(), value, key);
    assert.equal(await client.get('forged').string(), null, 'a forged proposal wrote nothing');
    assert.equal((await client.getAll().prefix('forged/').keys()).length, 2 * keysPerRound);

    // The receivers counted what they refused.
    const counted = (p: ProcessHandle) => p.lines.filter((line) => line.includes('eckd_bad_messages_total')).length;
    assert.ok(counted(fixture.node.processes.persister) > 0, 'the persister counted bad messages');
    assert.ok(counted(fixture.node.processes.backend) > 0, 'the backend counted bad messages');
    assert.ok(counted(fixture.node.processes.frontends[0]!) > 0, 'the frontend counted bad patches');
    assert.ok(counted(compactor) > 0, 'the compactor counted bad run requests');
    assert.ok(forged > 100, `${forged} forged messages`);
  });
});
