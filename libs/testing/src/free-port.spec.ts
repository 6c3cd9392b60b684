import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ephemeralRangeLow, freePort, subjectPrefix } from './free-port.js';

test('freePort returns a port that can be listened on', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('subjectPrefix is a unique NATS-safe token', () => {
  const a = subjectPrefix();
  const b = subjectPrefix();
  assert.match(a, /^[a-z][a-z0-9]+$/);
  assert.notEqual(a, b);
});

test('freePort never hands out the same port twice in one process', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length);
});

test('freePort stays below the ephemeral range, where outgoing connections take their source ports', async () => {
  const low = ephemeralRangeLow();
  for (let i = 0; i < 50; i++) assert.ok((await freePort()) < low);
});
