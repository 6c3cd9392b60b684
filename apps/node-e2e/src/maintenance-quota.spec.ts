// The space quota on a node with a tiny one (ECKD_QUOTA_BACKEND_BYTES on
// the backend): writes that would grow the store past it are refused with
// etcd's NOSPACE error and raise the alarm, node-wide; reads, deletes and
// compaction go on; disarming over the quota re-raises on the next write;
// the alarm survives a restart of every process and, once there is room
// (here: a larger quota), disarming restores writes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, etcdctl, startNatsServer, startNode, subjectPrefix } from '@eckd/testing';
import type { EckdNode, NatsServer, TestDatabase } from '@eckd/testing';

const noSpace = /etcdserver: mvcc: database space exceeded/;
const prefix = subjectPrefix();
let nats: NatsServer;
let db: TestDatabase;
let node: EckdNode;
let memberId: string;

function start(quotaBytes: number): Promise<EckdNode> {
  return startNode({
    natsUrl: nats.url,
    databaseUrl: db.url,
    subjectPrefix: prefix,
    nodeName: 'quota',
    frontends: 2,
    roleEnv: { backend: { ECKD_QUOTA_BACKEND_BYTES: String(quotaBytes), ECKD_QUOTA_CHECK_INTERVAL_MS: '200' } },
  });
}

before(async () => {
  [nats, db] = await Promise.all([startNatsServer(), createTestDatabase()]);
  node = await start(1024 * 1024);
  const status = await etcdctl(node.endpoints[0]!, ['endpoint', 'status', '-w', 'json']);
  memberId = /"member_id":(\d+)/.exec(status.stdout)![1]!;
});

after(async () => {
  await node?.stop();
  await Promise.allSettled([nats?.stop(), db?.drop()]);
});

async function ok(endpoint: string, args: string[], input?: string): Promise<string> {
  const r = await etcdctl(endpoint, args, { input });
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function refused(endpoint: string, args: string[], input?: string): Promise<void> {
  const r = await etcdctl(endpoint, args, { input });
  assert.notEqual(r.code, 0, `etcdctl ${args.join(' ')} should have been refused`);
  assert.match(r.stderr, noSpace);
}

describe('space quota', () => {
  test('past the quota writes are refused with NOSPACE on every frontend; reads, deletes and compaction go on', async () => {
    const [a, b] = node.endpoints as [string, string];
    let last = '';
    for (let i = 0; i < 60 && !noSpace.test(last); i++) {
      const r = await etcdctl(a, ['put', `big/${i}`, randomBytes(36_000).toString('base64')]);
      last = r.stderr;
      if (r.code !== 0) assert.match(r.stderr, noSpace);
    }
    assert.match(last, noSpace, 'the quota was reached');
    const alarm = `memberID:${memberId} alarm:NOSPACE`;
    assert.equal((await ok(a, ['alarm', 'list'])).trim(), alarm);
    assert.equal((await ok(b, ['alarm', 'list'])).trim(), alarm);
    assert.match(await ok(b, ['endpoint', 'status', '-w', 'json']), new RegExp(`"errors":\\["${alarm} "\\]`));
    await refused(b, ['put', 'small', 'x']);
    await refused(b, ['lease', 'grant', '60']);
    await refused(a, ['txn'], '\nput t1 x\n\n\n');
    assert.equal((await ok(a, ['get', 'big/0', '--print-value-only'])).length > 1000, true);
    assert.equal((await ok(b, ['del', 'big/0'])).trim(), '1');
    assert.match(await ok(a, ['txn'], '\ndel big/1\n\n\n'), /SUCCESS/);
    const revision = /"revision":(\d+)/.exec(await ok(a, ['get', 'big/2', '-w', 'json']))![1]!;
    assert.match(await ok(a, ['compact', revision]), /compacted revision/);
  });

  test('disarmed without room, the next write that does not fit raises the alarm again', async () => {
    const [a] = node.endpoints as [string];
    assert.equal((await ok(a, ['alarm', 'disarm'])).trim(), `memberID:${memberId} alarm:NOSPACE`);
    // The refused put did not fit (size + cost reached the quota) and nothing was freed since.
    await refused(a, ['put', 'big/again', randomBytes(40_000).toString('base64')]);
    assert.equal((await ok(a, ['alarm', 'list'])).trim(), `memberID:${memberId} alarm:NOSPACE`);
  });

  test('the alarm survives a restart of every process; with room again, disarm restores writes', async () => {
    await node.stop();
    node = await start(64 * 1024 * 1024);
    const [a, b] = node.endpoints as [string, string];
    assert.equal((await ok(b, ['alarm', 'list'])).trim(), `memberID:${memberId} alarm:NOSPACE`);
    await refused(a, ['put', 'small', 'x']);
    await ok(b, ['alarm', 'disarm']);
    assert.equal((await ok(a, ['alarm', 'list'])).trim(), '');
    await ok(a, ['put', 'small', 'x']);
    await ok(b, ['lease', 'grant', '60']);
    const health = await etcdctl(a, ['endpoint', 'health']);
    assert.match(health.stdout + health.stderr, /is healthy/);
  });
});
