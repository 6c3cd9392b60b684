import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from './nats-server.js';

test('nats-server starts, serves a client, restarts on the same port and cleans up', async () => {
  const server = await startNatsServer();
  try {
    assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: server.url });
    try {
      const sub = nc.subscribe('t.echo', { max: 1 });
      nc.publish('t.echo', 'hi');
      for await (const m of sub) assert.equal(m.string(), 'hi');
      assert.equal(nc.info?.jetstream, true);
    } finally {
      await nc.close();
    }

    const port = server.port;
    await server.restart({ signal: 'SIGKILL', downMs: 50 });
    assert.equal(server.port, port);
    const again = await connect({ servers: server.url });
    await again.flush();
    await again.close();
  } finally {
    await server.stop();
  }
  assert.equal(server.process.running, false);
  assert.equal(existsSync(server.storeDir), false);
});
