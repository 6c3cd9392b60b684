// One backend and one persister per node, enforced (ARCHITECTURE §6a): a
// second one started for the same node — a rolling update, an operator's
// mistake — never makes two writers. The loser logs a clear line and exits;
// no acknowledged write is lost and every revision names one write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { connect } from '@nats-io/transport-node';
import { codecs, nodeSubjects } from '@eckd/change-codec';
import { builtAppMain, etcdctl, isReadyLine, repoRoot, startProcess } from '@eckd/testing';
import type { ExitStatus, ProcessHandle } from '@eckd/testing';
import { startNodeFixture } from './fixture.js';
import type { NodeFixture } from './fixture.js';

let f: NodeFixture;
const extra: ProcessHandle[] = [];
before(async () => {
  f = await startNodeFixture({ frontends: 2 });
});
after(async () => {
  await Promise.all(extra.map((p) => p.stop()));
  await f?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another process of the running node's app, not waited for: it may be meant to lose. */
async function startSecond(app: 'persister' | 'backend', env: Record<string, string> = {}): Promise<ProcessHandle> {
  const proc = await startProcess({
    name: `e2e/${app}-2`,
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain(app)],
    env: { NATS_URL: f.nats.url, ECKD_SUBJECT_PREFIX: f.subjectPrefix, ECKD_NODE_NAME: 'e2e', DATABASE_URL: f.db.url, ...env },
    cwd: repoRoot(),
  });
  extra.push(proc);
  return proc;
}

async function exitedWithin(proc: ProcessHandle, ms: number): Promise<ExitStatus> {
  const status = await Promise.race([proc.exited, sleep(ms).then(() => undefined)]);
  if (!status) assert.fail(`${proc.name} still runs after ${ms} ms\n${proc.output()}`);
  return status;
}

/** Puts until one succeeds (a client retries while a process takes over); returns its revision. */
async function putEventually(key: string, value: string, deadlineMs = 30_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await etcdctl(f.node.endpoints[0]!, ['put', key, value, '-w', 'json', '--command-timeout=3s']);
    if (r.code === 0) return Number(JSON.parse(r.stdout).header.revision);
    if (Date.now() > until) assert.fail(`put ${key} kept failing: ${r.stderr}`);
    await sleep(200);
  }
}

const mentions = (proc: ProcessHandle, text: string) => proc.lines.some((l) => l.includes(text));

describe('fencing: one backend and one persister per node', () => {
  test('a forged takeover announcement changes nothing: the backend checks its epoch with the persister', async () => {
    const nc = await connect({ servers: f.nats.url });
    try {
      const subjects = nodeSubjects({ prefix: f.subjectPrefix, node: 'e2e' });
      nc.publish(subjects.takeover, codecs.backendTakeover.encode({ fencing_epoch: '999999999' }));
      await nc.flush();
    } finally {
      await nc.close();
    }
    await putEventually('forged/1', 'one');
    assert.ok(f.node.processes.backend.running, 'the backend runs on');
    assert.ok(!mentions(f.node.processes.backend, 'another backend took over'), f.node.processes.backend.output());
  });

  test('a second persister logs that another holds the node and exits; killed with SIGKILL, the first is taken over', async () => {
    const second = await startSecond('persister', { ECKD_PERSISTER_LOCK_WAIT_MS: '2000' });
    const r1 = await putEventually('ps/1', 'one');
    const status = await exitedWithin(second, 15_000);
    assert.notEqual(status.code, 0, 'the loser exits non-zero');
    assert.ok(mentions(second, 'another persister holds node e2e'), second.output());
    assert.ok(f.node.processes.persister.running, 'the first persister keeps serving');
    const r2 = await putEventually('ps/2', 'two');
    assert.ok(r2 > r1);

    f.node.processes.persister.kill('SIGKILL');
    await f.node.processes.persister.exited;
    const since = second.lineCount;
    await second.restart();
    await second.waitForLine(isReadyLine, 15_000, since);
    const r3 = await putEventually('ps/3', 'three');
    assert.ok(r3 > r2);
    for (const [key, value] of [['ps/1', 'one'], ['ps/2', 'two'], ['ps/3', 'three']] as const) {
      const r = await etcdctl(f.node.endpoints[1]!, ['get', key, '--print-value-only']);
      assert.equal(r.stdout.trim(), value, `${key} after the takeover`);
    }
  });

  test('a second backend started while clients write: the first exits, no acknowledged write is lost, each revision names one write', async () => {
    const first = f.node.processes.backend;
    const acked = new Map<string, { value: string; revision: number }>();
    let writing = true;
    let failed = 0;
    const clients = f.node.endpoints.map((e) => new Etcd3({ hosts: `http://${e}` }));
    let writers: Promise<void>[] = [];
    try {
      writers = Array.from({ length: 4 }, async (_, w) => {
        const client = clients[w % clients.length]!;
        for (let i = 0; writing; i++) {
          const key = `bk/${w}/${i}`;
          const value = `v${w}.${i}`;
          try {
            const r = await client.put(key).value(value).exec();
            acked.set(key, { value, revision: Number(r.header.revision) });
          } catch {
            failed++;
            await sleep(50);
          }
        }
      });
      await sleep(1_000);
      const second = await startSecond('backend');
      await second.waitForLine(isReadyLine, 30_000);
      const status = await exitedWithin(first, 15_000);
      await sleep(1_000);
      writing = false;
      await Promise.all(writers);

      assert.notEqual(status.code, 0, 'the older backend exits non-zero');
      assert.ok(mentions(first, 'another backend took over node e2e'), first.output());
      assert.ok(second.running, 'the newer backend serves');
      await putEventually('bk/after', 'served');

      // What is stored, not what a backend holds in memory: restart the survivor and read back.
      second.kill('SIGKILL');
      await second.exited;
      const since = second.lineCount;
      await second.restart();
      await second.waitForLine(isReadyLine, 30_000, since);
      await putEventually('bk/restarted', 'served');
      const revisions = new Map<number, string>();
      for (const [key, { value, revision }] of acked) {
        const kv = (await clients[0]!.get(key).exec()).kvs[0];
        assert.equal(kv?.value.toString(), value, `acknowledged ${key} at revision ${revision}`);
        assert.equal(Number(kv!.mod_revision), revision, `${key}: the revision its client was told`);
        assert.equal(revisions.get(revision), undefined, `revision ${revision} names ${revisions.get(revision)} and ${key}`);
        revisions.set(revision, key);
      }
      assert.ok(acked.size > 20, `writes were acknowledged (${acked.size}, ${failed} failed)`);
      console.log(`fencing: ${acked.size} writes acknowledged, ${failed} failed during the takeover`);
    } finally {
      writing = false;
      await Promise.all(writers);
      for (const c of clients) c.close();
    }
  });
});
