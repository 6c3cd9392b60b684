// A TCP proxy on 127.0.0.1 in front of one target, so a test can cut a link
// for real (the NATS routes of a test cluster go through these).
//
// Cut modes:
// - `reset`: open connections are reset (RST), new ones are accepted and
//   reset at once, so the peer sees the link fail immediately.
// - `blackhole`: open and new connections stay open but every byte either
//   way is read and dropped, so the peer sees a hang (no error, no answer)
//   until its own keep-alive gives up.
// restore() forwards new connections again. Connections that were
// blackholed are closed then: their streams lost bytes and cannot resume,
// so the peers reconnect, as they would after a real partition heals.
//
// Memory is bounded: forwarding uses stream pipes, which pause the reading
// side while the writing side holds more than its high-water mark.
import { connect, createServer } from 'node:net';
import type { NetConnectOpts, Server, Socket } from 'node:net';
import type { Stoppable } from './dispose.js';

export const proxyHighWaterMarkBytesDefault = 64 * 1024;

export type CutMode = 'reset' | 'blackhole';
export type ProxyState = 'forwarding' | CutMode;

export interface TcpProxyOptions {
  targetPort: number;
  /** Default 127.0.0.1. */
  targetHost?: string;
  /** Buffered bytes per socket and direction before reading pauses. */
  highWaterMarkBytes?: number;
}

export interface TcpProxy extends Stoppable {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  readonly state: ProxyState;
  /** Connections currently open through it (either mode). */
  readonly connections: number;
  /** Bytes the proxy holds in its socket buffers right now. */
  readonly bufferedBytes: number;
  /** Drops the link in `mode` (default `reset`) until restore(). */
  cut(mode?: CutMode): void;
  restore(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

interface Connection {
  client: Socket;
  /** Absent while cut: nothing is forwarded. */
  upstream?: Socket;
  blackholed: boolean;
}

const dropBytes = () => undefined;

export async function startTcpProxy(opts: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? '127.0.0.1';
  const highWaterMark = opts.highWaterMarkBytes ?? proxyHighWaterMarkBytesDefault;
  const open = new Set<Connection>();
  let state: ProxyState = 'forwarding';

  const destroy = (conn: Connection) => {
    open.delete(conn);
    conn.client.destroy();
    conn.upstream?.destroy();
  };
  const reset = (conn: Connection) => {
    open.delete(conn);
    conn.client.resetAndDestroy();
    conn.upstream?.resetAndDestroy();
  };
  const blackhole = (conn: Connection) => {
    conn.blackholed = true;
    for (const socket of [conn.client, conn.upstream]) {
      if (!socket) continue;
      socket.unpipe();
      socket.on('data', dropBytes);
      socket.resume();
    }
  };
  const forward = (conn: Connection) => {
    // Node passes socket options on to the stream, whose mark this is; the
    // typings of connect() do not list it.
    const upstreamOpts: NetConnectOpts & { highWaterMark: number } = { host: targetHost, port: opts.targetPort, highWaterMark };
    const upstream = connect(upstreamOpts);
    conn.upstream = upstream;
    upstream.on('error', () => destroy(conn));
    upstream.on('close', () => destroy(conn));
    conn.client.pipe(upstream);
    upstream.pipe(conn.client);
  };

  const server: Server = createServer({ pauseOnConnect: true, highWaterMark }, (client) => {
    const conn: Connection = { client, blackholed: false };
    open.add(conn);
    client.on('error', () => destroy(conn));
    client.on('close', () => destroy(conn));
    if (state === 'reset') reset(conn);
    else if (state === 'blackhole') blackhole(conn);
    else forward(conn);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('testing: tcp proxy got no port'));
    });
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const conn of [...open]) destroy(conn);
    });
    return closed;
  };
  return {
    port,
    get state() {
      return state;
    },
    get connections() {
      return open.size;
    },
    get bufferedBytes() {
      let bytes = 0;
      for (const { client, upstream } of open) {
        for (const s of [client, upstream]) if (s) bytes += s.readableLength + s.writableLength;
      }
      return bytes;
    },
    cut(mode: CutMode = 'reset') {
      state = mode;
      for (const conn of [...open]) {
        if (mode === 'reset') reset(conn);
        else if (!conn.blackholed) blackhole(conn);
      }
    },
    restore() {
      state = 'forwarding';
      for (const conn of [...open]) if (conn.blackholed) destroy(conn);
    },
    close,
    stop: close,
    [Symbol.asyncDispose]: close,
  };
}
