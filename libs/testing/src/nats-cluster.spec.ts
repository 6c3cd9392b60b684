import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsCluster } from './nats-cluster.js';
import { natsDelivers, natsSilentWhileReachableVia, natsDeliveryTimeoutMsDefault } from './nats-probe.js';
import { waitUntil } from './wait.js';

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
    assert.ok(await natsDelivers(c0, c2), 'delivery 0 → 2 before the cut');

    cluster.link(0, 2).cut('reset');
    assert.equal(cluster.link(0, 2).state, 'reset');
    await cluster.waitForRoutes();
    assert.deepEqual(await cluster.routedPeers(0), [1]);
    assert.deepEqual(await cluster.routedPeers(2), [1]);
    // NATS forwards one hop only: server 1 does not relay 0's messages to 2.
    assert.ok(await natsSilentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 while 0–2 is reset');
    assert.ok(await natsDelivers(c0, c1), 'delivery 0 → 1 during the cut');
    // A route 0–1 made anew makes 1 tell 2 about 0; 2 must not dial 0 directly.
    cluster.link(0, 1).cut('reset');
    await cluster.waitForRoutes();
    cluster.link(0, 1).restore();
    await cluster.waitForRoutes();
    assert.ok(await natsSilentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 after 0–1 reconnected');

    cluster.link(0, 2).restore();
    await cluster.waitForRoutes();
    assert.ok(await natsDelivers(c0, c2), 'delivery 0 → 2 after the restore');

    // A blackholed route stays up as far as the servers know, but carries nothing.
    cluster.link(0, 2).cut('blackhole');
    assert.ok(await natsSilentWhileReachableVia(c0, c1, c2), 'no delivery 0 → 2 while 0–2 is blackholed');
    cluster.link(0, 2).restore();
    await cluster.waitForRoutes();
    assert.ok(await natsDelivers(c0, c2), 'delivery 0 → 2 after the blackhole is restored');
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
      natsDeliveryTimeoutMsDefault,
      'the JetStream API of the cluster',
    );
  } finally {
    await nc.close();
  }
});
