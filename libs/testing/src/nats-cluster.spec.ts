import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomHex } from './free-port.js';
import { startNatsCluster } from './nats-cluster.js';
import { sleep, waitUntil } from './wait.js';

// How long a publisher keeps publishing while a subscriber must hear nothing.
const silenceMs = 750;
const deliveryTimeoutMs = 10_000;

/** Subscribes on `to`, then publishes from `from` until a message arrives; false if none within the timeout. */
async function delivers(from: NatsConnection, to: NatsConnection, timeoutMs = deliveryTimeoutMs): Promise<boolean> {
  const subject = `probe.${randomHex(4)}`;
  const sub = to.subscribe(subject);
  await to.flush();
  let got = 0;
  void (async () => {
    for await (const _ of sub) got++;
  })();
  try {
    await waitUntil(
      async () => {
        from.publish(subject, 'x');
        await from.flush();
        await sleep(50);
        return got > 0;
      },
      timeoutMs,
      `delivery on ${subject}`,
    ).catch(() => undefined);
    return got > 0;
  } finally {
    sub.unsubscribe();
  }
}

/**
 * True if `to` hears nothing from `from` while `via` (a server linked to
 * both) demonstrably reaches `to` on the same subject, i.e. the subscription
 * is known in the cluster and only the direct route is missing.
 */
async function silentWhileReachableVia(from: NatsConnection, via: NatsConnection, to: NatsConnection): Promise<boolean> {
  const subject = `probe.${randomHex(4)}`;
  const sub = to.subscribe(subject);
  await to.flush();
  const senders: string[] = [];
  void (async () => {
    for await (const m of sub) senders.push(m.string());
  })();
  try {
    await waitUntil(
      async () => {
        via.publish(subject, 'via');
        await via.flush();
        await sleep(50);
        return senders.includes('via');
      },
      deliveryTimeoutMs,
      'delivery through the middle server',
    );
    const deadline = Date.now() + silenceMs;
    while (Date.now() < deadline) {
      from.publish(subject, 'from');
      await from.flush();
      await sleep(50);
    }
    return !senders.includes('from');
  } finally {
    sub.unsubscribe();
  }
}

test('a NATS cluster routes through proxies, a cut link partitions two servers for real, and a restore heals it', async () => {
  const cluster = await startNatsCluster({ servers: 3, jetstream: false });
  const clients: NatsConnection[] = [];
  try {
    assert.equal(cluster.servers.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        await cluster.routedPeers(i),
        [0, 1, 2].filter((j) => j !== i),
      );
    }
    const client = async (i: number) => {
      const nc = await connect({ servers: cluster.server(i).url, ignoreClusterUpdates: true });
      clients.push(nc);
      return nc;
    };
    const c0 = await client(0);
    const c1 = await client(1);
    const c2 = await client(2);
    // no_advertise: a client learns no other server to fail over to.
    assert.deepEqual(c0.info?.connect_urls ?? [], []);
    assert.ok(await delivers(c0, c2), 'delivery 0 → 2 before the cut');

    cluster.link(0, 2).cut('reset');
    assert.equal(cluster.link(0, 2).state, 'reset');
    await cluster.waitForRoutes();
    assert.deepEqual(await cluster.routedPeers(0), [1]);
    assert.deepEqual(await cluster.routedPeers(2), [1]);
    // NATS forwards one hop only: server 1 does not relay 0's messages to 2.
    assert.ok(await silentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 while 0–2 is reset');
    assert.ok(await delivers(c0, c1), 'delivery 0 → 1 during the cut');
    // A route 0–1 made anew makes 1 tell 2 about 0; 2 must not dial 0 directly.
    cluster.link(0, 1).cut('reset');
    await cluster.waitForRoutes();
    cluster.link(0, 1).restore();
    await cluster.waitForRoutes();
    assert.ok(await silentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 after 0–1 reconnected');

    cluster.link(0, 2).restore();
    await cluster.waitForRoutes();
    assert.ok(await delivers(c0, c2), 'delivery 0 → 2 after the restore');

    // A blackholed route stays up as far as the servers know, but carries nothing.
    cluster.link(0, 2).cut('blackhole');
    assert.ok(await silentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 while 0–2 is blackholed');
    cluster.link(0, 2).restore();
    await cluster.waitForRoutes();
    assert.ok(await delivers(c0, c2), 'delivery 0 → 2 after the blackhole is restored');
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
  for (const s of cluster.servers) {
    assert.equal(s.server.process.running, false);
    assert.equal(existsSync(s.server.storeDir), false);
  }
});

test('a NATS cluster with JetStream on elects a meta leader and serves the JetStream API', async () => {
  await using cluster = await startNatsCluster({ servers: 3, jetstream: true });
  const nc = await connect({ servers: cluster.server(2).url });
  try {
    await waitUntil(
      async () => {
        const reply = await nc.request('$JS.API.INFO', '', { timeout: 1_000 });
        return !(reply.json<{ error?: unknown }>().error);
      },
      deliveryTimeoutMs,
      'the JetStream API of the cluster',
    );
  } finally {
    await nc.close();
  }
});
