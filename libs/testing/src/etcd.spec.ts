import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { etcdctl, startEtcd } from './etcd.js';

test('etcd starts healthy and etcdctl put/get works against it', async () => {
  const etcd = await startEtcd({ args: ['--experimental-watch-progress-notify-interval=200ms'] });
  try {
    assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const put = await etcdctl(etcd.endpoint, ['put', 'foo', 'bar']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout.trim(), 'OK');
    const get = await etcdctl([etcd.endpoint], ['get', 'foo', '--print-value-only']);
    assert.equal(get.stdout.trim(), 'bar');
    const txn = await etcdctl(etcd.endpoint, ['txn'], { input: 'value("foo") = "bar"\n\nput foo baz\n\n\n' });
    assert.equal(txn.code, 0, txn.stderr);
    assert.match(txn.stdout, /^SUCCESS/);
    const missing = await etcdctl(etcd.endpoint, ['get', 'foo', '--rev=999']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /required revision is a future revision/);
  } finally {
    await etcd.stop();
  }
  assert.equal(existsSync(etcd.dataDir), false);
});
