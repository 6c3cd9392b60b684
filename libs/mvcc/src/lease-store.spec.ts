import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseStore, leaseTtlMinSeconds } from './lease-store.js';
import { KvError } from './errors.js';

const put = (key: string, lease: string) =>
  ({ type: 'PUT', kv: { key: Buffer.from(key), value: Buffer.alloc(0), create_revision: 1, mod_revision: 1, version: 1, lease } }) as const;
const del = (key: string) => ({ type: 'DELETE', kv: { key: Buffer.from(key), mod_revision: 2 } }) as const;
const rpcName = (name: string) => (err: unknown) => err instanceof KvError && err.rpcName === name;

describe('lease store', () => {
  test('grant: minimum TTL, maximum TTL, existing id', () => {
    const s = new LeaseStore();
    assert.equal(s.grant('1', 1, 0), leaseTtlMinSeconds);
    assert.equal(s.grant('2', -5, 0), 2);
    assert.equal(s.grant('3', 10, 0), 10);
    assert.throws(() => s.grant('3', 10, 0), rpcName('LeaseExist'));
    assert.throws(() => s.grant('4', 9_000_000_001, 0), rpcName('LeaseTTLTooLarge'));
  });

  test('time to live truncates; keep-alive renews; unknown leases', () => {
    const s = new LeaseStore();
    s.grant('7', 10, 0);
    assert.deepEqual(s.timeToLive('7', 1_600), { ttl: 8, grantedTtl: 10, keys: [] });
    assert.equal(s.keepAlive('7', 1_600), 10);
    assert.equal(s.timeToLive('7', 2_600).ttl, 9);
    assert.deepEqual(s.timeToLive('404', 0), { ttl: -1, grantedTtl: 0, keys: [] });
    assert.equal(s.keepAlive('404', 0), 0);
    assert.equal(s.keepAlive('7', 60_000), 0, 'an expired lease is not kept alive');
  });

  test('keys follow puts and deletes; expiry lists leases due', () => {
    const s = new LeaseStore();
    s.grant('a', 5, 0);
    s.grant('b', 50, 0);
    s.track([put('k1', 'a'), put('k2', 'a'), put('k0', 'a')]);
    assert.deepEqual(s.keysOf('a'), ['k0', 'k1', 'k2']);
    s.track([put('k1', 'b'), del('k2'), put('k0', '0')]);
    assert.deepEqual(s.keysOf('a'), []);
    assert.deepEqual(s.keysOf('b'), ['k1']);
    assert.deepEqual(s.expired(4_999), []);
    assert.deepEqual(s.expired(5_000), ['a']);
    s.remove('b');
    assert.throws(() => s.keysOf('b'), rpcName('LeaseNotFound'));
    assert.deepEqual(s.ids(), ['a']);
  });

  test('keysCarrying: the keys of a lease this store does not hold (a peer\'s), following puts and deletes', () => {
    const s = new LeaseStore();
    s.track([put('k2', 'peer'), put('k1', 'peer'), put('k3', 'other')]);
    s.attach('k0', 'peer');
    assert.deepEqual(s.keysCarrying('peer'), ['k0', 'k1', 'k2']);
    s.track([del('k1'), put('k2', '0')]);
    assert.deepEqual(s.keysCarrying('peer'), ['k0']);
    assert.throws(() => s.keysOf('peer'), rpcName('LeaseNotFound'));
  });
});
