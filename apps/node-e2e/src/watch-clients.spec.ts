// Watch through real clients against a node with two frontends (and a third
// one ticking progress notifications every second): etcdctl 3.4.23's
// `watch` (key, --prefix, --rev, --prev-kv, -w json, a compacted --rev) and
// the etcd3 npm client's watch() builder (put/delete events, prev_kv,
// startRevision, progress notifications, resuming after its frontend
// restarts). etcdctl 3.4 has no --progress-notify flag (3.5 added it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import type { IKeyValue } from 'etcd3';
import { createTestDatabase, etcdctl, startExtraFrontend, startNatsServer, startNode, subjectPrefix, waitUntil } from '@eckd/testing';
import type { EckdNode, ExtraFrontend, NatsServer, NodeOptions, TestDatabase } from '@eckd/testing';

const watchOutputTimeoutMs = 10_000;

let nats: NatsServer;
let db: TestDatabase;
let node: EckdNode;
let ticking: ExtraFrontend | undefined;
let c0: Etcd3;
let c1: Etcd3;

before(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
  const opts: NodeOptions = { natsUrl: nats.url, databaseUrl: db.url, subjectPrefix: subjectPrefix(), nodeName: 'watch-clients', frontends: 2 };
  node = await startNode(opts);
  ticking = await startExtraFrontend(opts, ['--watch-progress-notify-interval=1s']);
  c0 = new Etcd3({ hosts: `http://${node.endpoints[0]!}` });
  c1 = new Etcd3({ hosts: `http://${node.endpoints[1]!}` });
}, { timeout: 60_000 });

after(async () => {
  c0?.close();
  c1?.close();
  await ticking?.stop();
  await node?.stop();
  await Promise.allSettled([nats?.stop(), db?.drop()]);
});

const revisionOfPut = async (c: Etcd3, key: string, value: string) => Number((await c.kv.put({ key: Buffer.from(key), value: Buffer.from(value) })).header.revision);

/** `etcdctl watch ...` as a child whose output is read as it comes; stop() kills it. */
function watchProcess(endpoint: string, args: readonly string[]) {
  const child = spawn('etcdctl', [`--endpoints=${endpoint}`, 'watch', ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    output: () => out,
    errors: () => err,
    until: (text: string) => waitUntil(() => out.includes(text), watchOutputTimeoutMs, `etcdctl watch to print ${JSON.stringify(text)} (got ${JSON.stringify(out)}, ${err})`),
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('etcdctl watch', () => {
  test('a key from --rev: its history, in the simple format', async () => {
    const first = await revisionOfPut(c0, 'ecw/a', '1');
    await revisionOfPut(c1, 'ecw/a', '2');
    await c0.delete().key('ecw/a');
    await revisionOfPut(c0, 'ecw/b', 'other');
    const w = watchProcess(node.endpoints[1]!, [`--rev=${first}`, 'ecw/a']);
    try {
      await w.until('DELETE\necw/a\n\n');
      assert.equal(w.output(), 'PUT\necw/a\n1\nPUT\necw/a\n2\nDELETE\necw/a\n\n');
    } finally {
      await w.stop();
    }
  });

  test('--prefix, live, with --prev-kv', async () => {
    const w = watchProcess(node.endpoints[0]!, ['--prefix', '--prev-kv', 'ecp/']);
    try {
      // etcdctl prints nothing when it is connected: poke until a poke shows.
      await waitUntil(async () => (await revisionOfPut(c1, 'ecp/poke', 'x'), w.output().includes('ecp/poke')), watchOutputTimeoutMs, 'etcdctl to watch');
      const mark = w.output().length;
      await revisionOfPut(c1, 'ecp/a', '1');
      await revisionOfPut(c0, 'ecp/a', '2');
      await c1.delete().key('ecp/a');
      await revisionOfPut(c0, 'ecq', 'outside the prefix');
      await w.until('DELETE\necp/a\n2\necp/a\n\n');
      // Pokes (with their prev_kv lines) may still be printing at the mark.
      assert.equal(w.output().slice(mark).replace(/^((PUT\n)?ecp\/poke\nx\n)+/, ''), 'PUT\necp/a\n1\nPUT\necp/a\n1\necp/a\n2\nDELETE\necp/a\n2\necp/a\n\n');
    } finally {
      await w.stop();
    }
  });

  test('-w json from --rev: the history in one response, revisions and base64 keys', async () => {
    const first = await revisionOfPut(c0, 'ecj/a', '1');
    const second = await revisionOfPut(c0, 'ecj/b', '2');
    const w = watchProcess(node.endpoints[0]!, ['-w', 'json', '--prefix', `--rev=${first}`, 'ecj/']);
    try {
      await w.until('\n');
      const lines = w.output().trim().split('\n');
      const resp = JSON.parse(lines[0]!) as { Header: { revision: number; cluster_id: number }; Events: { kv: { key: string; mod_revision: number } }[] };
      assert.deepEqual(
        resp.Events.map((e) => [Buffer.from(e.kv.key, 'base64').toString(), e.kv.mod_revision]),
        [
          ['ecj/a', first],
          ['ecj/b', second],
        ],
      );
      assert.ok(resp.Header.revision >= second && resp.Header.cluster_id > 0);
    } finally {
      await w.stop();
    }
  });
});

describe('etcd3 watch()', () => {
  test('put and delete events of a key', async () => {
    const watcher = await c0.watch().key('e3w/a').create();
    const seen: string[] = [];
    watcher.on('put', (kv: IKeyValue) => seen.push(`put ${kv.value.toString()} v${kv.version}`));
    watcher.on('delete', (kv: IKeyValue) => seen.push(`delete ${kv.key.toString()}`));
    await c1.put('e3w/a').value('1');
    await c1.put('e3w/b').value('not watched');
    await c0.put('e3w/a').value('2');
    await c1.delete().key('e3w/a');
    await waitUntil(() => seen.length >= 3, watchOutputTimeoutMs, 'three events');
    await watcher.cancel();
    assert.deepEqual(seen, ['put 1 v1', 'put 2 v2', 'delete e3w/a']);
  });

  test('prefix with withPreviousKV and startRevision', async () => {
    const first = await revisionOfPut(c0, 'e3p/a', '1');
    await revisionOfPut(c0, 'e3p/a', '2');
    const watcher = await c1.watch().prefix('e3p/').withPreviousKV().startRevision(String(first)).create();
    const seen: string[] = [];
    watcher.on('put', (kv: IKeyValue, prev?: IKeyValue) => seen.push(`${kv.key.toString()}=${kv.value.toString()} prev=${prev?.value.toString() ?? '-'}`));
    watcher.on('delete', (kv: IKeyValue, prev?: IKeyValue) => seen.push(`del ${kv.key.toString()} prev=${prev?.value.toString() ?? '-'}`));
    await c0.delete().key('e3p/a');
    await waitUntil(() => seen.length >= 3, watchOutputTimeoutMs, 'three events');
    await watcher.cancel();
    assert.deepEqual(seen, ['e3p/a=1 prev=-', 'e3p/a=2 prev=1', 'del e3p/a prev=2']);
  });

  test('progress notifications move lastRevision of an idle watcher (1 s frontend)', async () => {
    const client = new Etcd3({ hosts: `http://${ticking!.endpoint}` });
    try {
      const watcher = await client.watch().key('e3n/a').create();
      const progress: number[] = [];
      watcher.on('data', (res: { events: unknown[]; header: { revision: string } }) => {
        if (res.events.length === 0) progress.push(Number(res.header.revision));
      });
      const rev = await revisionOfPut(c0, 'e3n/other', 'x');
      await waitUntil(() => progress.some((r) => r >= rev), 5_000, 'a progress notification at the new revision');
      assert.equal(Number(watcher.lastRevision()), Math.max(...progress) + 1);
      await watcher.cancel();
    } finally {
      client.close();
    }
  });

  test('a watcher resumes without gaps or repeats when its frontend restarts', { timeout: 40_000 }, async () => {
    const watcher = await c0.watch().prefix('e3r/').create();
    const seen: string[] = [];
    let disconnects = 0;
    watcher.on('put', (kv: IKeyValue) => seen.push(kv.value.toString()));
    watcher.on('disconnected', () => disconnects++);
    const written: string[] = [];
    const write = async (v: string) => {
      await c1.put(`e3r/k${written.length % 3}`).value(v);
      written.push(v);
    };
    for (let i = 0; i < 5; i++) await write(`before-${i}`);
    await waitUntil(() => seen.length === 5, watchOutputTimeoutMs, 'the first events');
    const restarting = node.processes.frontends[0]!.restart();
    for (let i = 0; i < 10; i++) await write(`during-${i}`);
    await restarting;
    for (let i = 0; i < 5; i++) await write(`after-${i}`);
    await waitUntil(() => seen.length >= written.length, 20_000, `all ${written.length} events (have ${seen.length})`);
    await new Promise((r) => setTimeout(r, 300));
    await watcher.cancel();
    assert.ok(disconnects >= 1, 'the watcher never saw its stream drop');
    assert.deepEqual(seen, written);
  });
});

describe('etcdctl watch after a compaction', () => {
  test('--rev below the compact revision: the cancel etcdctl reports, with a full header', async () => {
    const first = await revisionOfPut(c0, 'ecc/a', '1');
    const second = await revisionOfPut(c0, 'ecc/a', '2');
    await c0.kv.compact({ revision: second });
    const res = await etcdctl(node.endpoints[0]!, ['watch', '-w', 'json', `--rev=${first}`, 'ecc/a'], { timeoutMs: 5_000 });
    const line = res.stdout.trim().split('\n')[0] ?? '';
    const resp = JSON.parse(line) as { Header: { cluster_id?: number; revision?: number }; CompactRevision: number; Canceled: boolean };
    assert.equal(resp.CompactRevision, second);
    assert.equal(resp.Canceled, true);
    assert.match(res.stderr, /watch is canceled by the server/);
    assert.ok((resp.Header.cluster_id ?? 0) > 0, `the header lacks the cluster id: ${line}`);
  });
});
