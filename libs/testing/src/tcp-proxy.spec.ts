import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { once } from 'node:events';
import { startTcpProxy } from './tcp-proxy.js';
import { sleep, waitUntil } from './wait.js';

// How long "nothing happens" is watched for; the proxy acts synchronously,
// so this only has to outlast a loopback round trip on a loaded machine.
const quietMs = 300;

interface Target {
  server: Server;
  port: number;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server on a free port; `onSocket` decides what it does with each connection. */
async function startTarget(onSocket: (s: Socket) => void): Promise<Target> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, port, sockets, close };
}

const echo = (s: Socket) => s.pipe(s);

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Settles when `socket` closes, with the error that closed it if any. */
function closed(socket: Socket): Promise<Error | undefined> {
  let error: Error | undefined;
  socket.on('error', (err) => (error = err));
  return new Promise((resolve) => socket.once('close', () => resolve(error)));
}

/** Everything `socket` receives, as a string so far. */
function received(socket: Socket): () => string {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

async function echoes(port: number, text: string): Promise<boolean> {
  const socket = await connectTo(port);
  try {
    const got = received(socket);
    socket.write(text);
    await waitUntil(() => got() === text, 5_000, `echo of ${text}`);
    return true;
  } finally {
    socket.destroy();
  }
}

test('tcp proxy forwards both ways and reset cuts open and new connections until restored', async () => {
  const target = await startTarget(echo);
  await using proxy = await startTcpProxy({ targetPort: target.port });
  try {
    assert.ok(await echoes(proxy.port, 'hello'));

    const open = await connectTo(proxy.port);
    const openClosed = closed(open);
    await waitUntil(() => proxy.connections === 1, 5_000, 'connection through the proxy');
    proxy.cut('reset');
    assert.equal(proxy.state, 'reset');
    assert.match(String(await openClosed), /ECONNRESET/);
    assert.equal(proxy.connections, 0);

    // New connections are accepted and reset at once, never reaching the target.
    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    assert.match(String(await closed(refused)), /ECONNRESET/);
    assert.equal(target.sockets.size, 0);

    proxy.restore();
    assert.equal(proxy.state, 'forwarding');
    assert.ok(await echoes(proxy.port, 'again'));
  } finally {
    await target.close();
  }
});

test('tcp proxy blackhole drops bytes without closing, and restore closes the blackholed connections', async () => {
  const target = await startTarget(echo);
  await using proxy = await startTcpProxy({ targetPort: target.port });
  try {
    const open = await connectTo(proxy.port);
    const gotOpen = received(open);
    open.write('before');
    await waitUntil(() => gotOpen() === 'before', 5_000, 'echo before the cut');

    proxy.cut('blackhole');
    let openClosed = false;
    open.on('close', () => (openClosed = true));
    open.write('during');
    const fresh = await connectTo(proxy.port);
    const gotFresh = received(fresh);
    fresh.write('fresh');
    await sleep(quietMs);
    assert.equal(gotOpen(), 'before');
    assert.equal(gotFresh(), '');
    assert.equal(openClosed, false);
    assert.equal(proxy.connections, 2);
    // Only the connection made before the cut ever reached the target.
    assert.equal(target.sockets.size, 1);

    proxy.restore();
    await waitUntil(() => openClosed && fresh.destroyed, 5_000, 'blackholed connections closed on restore');
    assert.ok(await echoes(proxy.port, 'after'));
  } finally {
    await target.close();
  }
});

test('tcp proxy holds a bounded number of bytes when the target does not read', async () => {
  const highWaterMarkBytes = 16 * 1024;
  const totalBytes = 64 * 1024 * 1024;
  const stalled: Socket[] = [];
  let arrived = 0;
  const target = await startTarget((s) => {
    s.pause();
    s.on('data', (chunk: Buffer) => (arrived += chunk.length));
    stalled.push(s);
  });
  await using proxy = await startTcpProxy({ targetPort: target.port, highWaterMarkBytes });
  try {
    const sender = await connectTo(proxy.port);
    sender.write(Buffer.alloc(totalBytes));
    // Wait until the bytes stop moving: the kernel buffers are full and the
    // rest waits in the sender, not in the proxy.
    let last = -1;
    await waitUntil(
      async () => {
        const now = sender.writableLength;
        const settled = now === last;
        last = now;
        await sleep(100);
        return settled;
      },
      10_000,
      'the sender to stall',
    );
    assert.ok(sender.writableLength > 0, 'back-pressure reaches the sender');
    // Two sockets, each a read side and a write side, each may overshoot its
    // mark by one chunk (at most 64 KiB on loopback).
    const bound = 4 * (highWaterMarkBytes + 64 * 1024);
    assert.ok(proxy.bufferedBytes <= bound, `proxy holds ${proxy.bufferedBytes} bytes, bound ${bound}`);

    for (const s of stalled) s.resume();
    await waitUntil(() => arrived === totalBytes, 20_000, 'every byte to arrive');
    sender.destroy();
  } finally {
    await target.close();
  }
});
