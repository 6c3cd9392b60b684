import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from '@eckd/mvcc';
import { ConfigError } from '@eckd/service-kit';
import { bandFirstRevision, emptyStoreOfBand, readPeerConfig, revisionBandSize, revisionBandsMax } from './peer-config.js';

describe('peer config', () => {
  test('no ECKD_INITIAL_CLUSTER, or one naming this node only: a single node', () => {
    assert.equal(readPeerConfig({}, 'node1'), undefined);
    assert.equal(readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1' }, 'node1'), undefined);
  });

  test("a member's band is its position in the list; timings have defaults", () => {
    assert.deepEqual(readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1, node2,node3' }, 'node2'), {
      start: { state: 'new', members: ['node1', 'node2', 'node3'], band: 1 },
      syncIntervalMs: 200,
      syncTimeoutMs: 1_000,
      syncStoreIntervalMs: 1_000,
      conflictsKept: 1_000,
      conflictLogIntervalMs: 10_000,
      inboxMax: 4_096,
      storedPublishIntervalMs: 20,
      bandReserveTimeoutMs: 3_500,
      snapshot: { bytesMax: 32 * 1024 * 1024, chunkTimeoutMs: 10_000, attempts: 5, servesMax: 1 },
      leaseForward: { forwardsMax: 1_000, timeoutMs: 7_000 },
      cut: { roundTimeoutMs: 5_000, retryMs: 2_000, roundsMax: 5 },
      cutWithPeers: true,
      cutOps: 50_000,
      cutLaggardHoldMs: 600_000,
      cutCatchUpMs: 10_000,
    });
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_LEASE_FORWARDS_MAX: '0' }, 'node1'), ConfigError);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_CONFLICT_LOG_INTERVAL_MS: '-1' }, 'node1'), /ECKD_CONFLICT_LOG_INTERVAL_MS must be >= 0/);
    assert.equal(readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_CONFLICT_LOG_INTERVAL_MS: '0' }, 'node1')?.conflictLogIntervalMs, 0);
    // ECKD_SNAPSHOT_ATTEMPTS=0 turns the snapshot join off; a bound below its minimum is refused.
    assert.equal(readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_SNAPSHOT_ATTEMPTS: '0' }, 'node1')?.snapshot.attempts, 0);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_SNAPSHOT_SERVES_MAX: '0' }, 'node1'), ConfigError);
  });

  test("the cut agreement's limits (§8.10) from the environment; a bad value is refused with the setting's name", () => {
    const peers = { ECKD_INITIAL_CLUSTER: 'node1,node2' };
    assert.deepEqual(readPeerConfig({ ...peers, ECKD_CUT_ROUND_TIMEOUT_MS: '250', ECKD_CUT_RETRY_MS: '10', ECKD_CUT_ROUNDS_MAX: '1' }, 'node1')?.cut, { roundTimeoutMs: 250, retryMs: 10, roundsMax: 1 });
    const refused: [string, string, RegExp][] = [
      ['ECKD_CUT_ROUND_TIMEOUT_MS', '99', /ECKD_CUT_ROUND_TIMEOUT_MS must be >= 100, got 99/],
      ['ECKD_CUT_ROUND_TIMEOUT_MS', '600001', /ECKD_CUT_ROUND_TIMEOUT_MS must be <= 600000/],
      ['ECKD_CUT_ROUND_TIMEOUT_MS', '5s', /ECKD_CUT_ROUND_TIMEOUT_MS must be an integer, got "5s"/],
      ['ECKD_CUT_RETRY_MS', '0', /ECKD_CUT_RETRY_MS must be >= 10, got 0/],
      ['ECKD_CUT_RETRY_MS', '-5', /ECKD_CUT_RETRY_MS must be >= 10/],
      ['ECKD_CUT_ROUNDS_MAX', '0', /ECKD_CUT_ROUNDS_MAX must be >= 1, got 0/],
      ['ECKD_CUT_ROUNDS_MAX', '1001', /ECKD_CUT_ROUNDS_MAX must be <= 1000/],
      ['ECKD_CUT_ROUNDS_MAX', 'many', /ECKD_CUT_ROUNDS_MAX must be an integer/],
      ['ECKD_CUT_WITH_PEERS', 'yes', /ECKD_CUT_WITH_PEERS=yes: true or false/],
      ['ECKD_CUT_LAGGARD_HOLD_MS', '999', /ECKD_CUT_LAGGARD_HOLD_MS must be >= 1000, got 999/],
      ['ECKD_CUT_CATCH_UP_MS', '99', /ECKD_CUT_CATCH_UP_MS must be >= 100, got 99/],
      ['ECKD_CUT_CATCH_UP_MS', '600001', /ECKD_CUT_CATCH_UP_MS must be <= 600000/],
      ['ECKD_CUT_OPS', '999', /ECKD_CUT_OPS must be >= 1000, got 999/],
      ['ECKD_CUT_OPS', '0', /ECKD_CUT_OPS must be >= 1000, got 0/],
    ];
    const on = readPeerConfig({ ...peers, ECKD_CUT_WITH_PEERS: 'true', ECKD_CUT_LAGGARD_HOLD_MS: '5000' }, 'node1');
    assert.equal(on?.cutWithPeers, true);
    assert.equal(readPeerConfig({ ...peers, ECKD_CUT_WITH_PEERS: 'false' }, 'node1')?.cutWithPeers, false);
    assert.equal(on?.cutLaggardHoldMs, 5_000);
    assert.equal(on?.cutCatchUpMs, 10_000);
    assert.equal(readPeerConfig({ ...peers, ECKD_CUT_CATCH_UP_MS: '2500' }, 'node1')?.cutCatchUpMs, 2_500);
    assert.equal(readPeerConfig({ ...peers, ECKD_CUT_OPS: '3000' }, 'node1')?.cutOps, 3_000);
    for (const [name, value, message] of refused) {
      assert.throws(() => readPeerConfig({ ...peers, [name]: value }, 'node1'), (err: unknown) => err instanceof ConfigError && message.test(err.message), `${name}=${value}`);
    }
    // A single node reads no peer settings: there the agreement never runs.
    assert.equal(readPeerConfig({ ECKD_CUT_ROUNDS_MAX: '0' }, 'node1'), undefined);
  });

  test('refused at start: this node missing, a name twice, a bad or reserved name, too many bands', () => {
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2' }, 'node3'), ConfigError);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node1' }, 'node1'), ConfigError);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,no.de' }, 'node1'), ConfigError);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,peers' }, 'node1'), ConfigError);
    const names = Array.from({ length: revisionBandsMax + 1 }, (_, i) => `n${i}`);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: names.join(',') }, 'n0'), /at most 32/);
    assert.deepEqual(readPeerConfig({ ECKD_INITIAL_CLUSTER: names.slice(0, -1).join(',') }, 'n31')?.start, { state: 'new', members: names.slice(0, -1), band: 31 });
  });

  test('joining: existing needs ECKD_JOIN and a valid ECKD_PEER_URL; new forbids them', () => {
    const joining = { ECKD_INITIAL_CLUSTER_STATE: 'existing', ECKD_JOIN: 'node1', ECKD_PEER_URL: 'http://127.0.0.1:2380' };
    assert.deepEqual(readPeerConfig(joining, 'node3')?.start, { state: 'existing', join: 'node1', peerUrl: 'http://127.0.0.1:2380' });
    assert.throws(() => readPeerConfig({ ...joining, ECKD_JOIN: '' }, 'node3'), /needs ECKD_JOIN/);
    assert.throws(() => readPeerConfig({ ...joining, ECKD_PEER_URL: '127.0.0.1:2380' }, 'node3'), /ECKD_PEER_URL/);
    assert.throws(() => readPeerConfig({ ...joining, ECKD_JOIN: 'node3' }, 'node3'), /not this node/);
    assert.throws(() => readPeerConfig({ ...joining, ECKD_INITIAL_CLUSTER_STATE: 'old' }, 'node3'), /new or existing/);
    assert.throws(() => readPeerConfig({ ECKD_INITIAL_CLUSTER: 'node1,node2', ECKD_JOIN: 'node1' }, 'node2'), /existing only/);
  });

  test('band 0 starts as a single node; band b at b·2^48 + 1, compacted there, exact as a JS number', () => {
    assert.equal(emptyStoreOfBand(0).revision, 1);
    assert.equal(emptyStoreOfBand(0).compactRevision, -1);
    const store = emptyStoreOfBand(2);
    assert.equal(store.revision, 2 * revisionBandSize + 1);
    assert.equal(store.compactRevision, store.revision);
    assert.throws(() => store.range({ key: Buffer.from('k'), revision: 5 }), (err: unknown) => err instanceof KvError && /required revision has been compacted/.test(err.message));
    assert.ok(Number.isSafeInteger(bandFirstRevision(revisionBandsMax - 1) + revisionBandSize - 2));
  });
});
