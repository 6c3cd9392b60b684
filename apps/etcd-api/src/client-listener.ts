// One client port serving gRPC and HTTP/1.1 together, as etcd's does: a
// net.Server (http://) or tls.Server (https://) per listen URL looks at the
// first bytes of each connection. The HTTP/2 client preface goes to grpc-js
// through a connection injector; anything else is HTTP/1.1 and goes to the
// JSON gateway's http.Server (or is closed, on a gRPC-only port). Under TLS
// the decrypted socket is what is routed, so grpc-js and the gateway see
// the client's verified certificate (client-identity.ts).
import type { ConnectionInjector } from '@grpc/grpc-js';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from '@eckd/service-kit';
import type { ClientTlsMaterial } from './client-tls.js';
import { secureContextOptions } from './client-tls.js';
import type { ListenUrl } from './config.js';

/** The HTTP/2 connection preface every gRPC client sends first (RFC 9113 §3.4). */
const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface ClientListenerOptions {
  url: ListenUrl;
  /** undefined: an https:// URL is refused at start-up (config.ts checks it first) */
  tls: ClientTlsMaterial | undefined;
  /** HTTP/2 connections: grpc-js, or undefined on a gateway-only URL (--listen-client-http-urls) */
  grpc: ConnectionInjector | undefined;
  /** HTTP/1.1 connections: the JSON gateway, or undefined on a gRPC-only URL */
  http: HttpServer | undefined;
  /** ECKD_CLIENT_FIRST_BYTES_TIMEOUT_MS: how long a connection may take to finish its TLS handshake and send the bytes that tell HTTP/2 from HTTP/1.1 */
  firstBytesTimeoutMs: number;
  log: Logger;
}

export interface ClientListener {
  /** the bound port (the URL's, or the one the system chose for port 0) */
  readonly port: number;
  /** stops accepting; open connections are closed by their owners (grpc-js, the http server) */
  close(): Promise<void>;
}

export async function startClientListener(options: ClientListenerOptions): Promise<ClientListener> {
  const { url, tls, log } = options;
  const route = (socket: Socket) => routeConnection(socket, options);
  let server: NetServer;
  if (url.scheme === 'https') {
    if (!tls) throw new Error(`client-listener: ${url.scheme}://${url.host}:${url.port} needs TLS material`);
    const tlsServer = createTlsServer({ ...secureContextOptions(tls), ALPNCallback: chooseProtocol, handshakeTimeout: options.firstBytesTimeoutMs }, route);
    // A refused handshake (no or wrong client certificate, plaintext on a TLS port) is the client's problem, not the server's.
    tlsServer.on('tlsClientError', (err) => log.debug('TLS handshake refused', { err: err.message }));
    server = tlsServer;
  } else {
    server = createNetServer(route);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: url.host, port: url.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.warn('client listener error', { err }));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : url.port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The TLS protocol (ALPN) of a client: gRPC clients offer only `h2`; a
 * client that also offers `http/1.1` (curl, browsers) is an HTTP client and
 * gets HTTP/1.1, which the gateway speaks (etcd's gateway also takes HTTP/2
 * requests that are not gRPC; eckd's takes them as HTTP/1.1).
 */
function chooseProtocol({ protocols }: { protocols: string[] }): string | undefined {
  if (protocols.includes('http/1.1')) return 'http/1.1';
  return protocols.includes('h2') ? 'h2' : undefined;
}

/** Reads until the first bytes tell HTTP/2 from HTTP/1.1, puts them back and hands the socket on. */
function routeConnection(socket: Socket, options: ClientListenerOptions): void {
  const chunks: Buffer[] = [];
  let length = 0;
  socket.setTimeout(options.firstBytesTimeoutMs, () => socket.destroy());
  socket.on('error', () => undefined); // a reset before routing; the new owner adds its own handler
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    const head = Buffer.concat(chunks, length);
    const compared = Math.min(head.length, http2Preface.length);
    const isHttp2 = head.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (isHttp2 && head.length < http2Preface.length) return; // a prefix of the preface: wait for the rest
    socket.off('data', onData);
    socket.pause();
    socket.setTimeout(0);
    socket.unshift(head);
    handOver(socket, isHttp2 ? 'grpc' : 'http', options);
  };
  socket.on('data', onData);
}

function handOver(socket: Socket, protocol: 'grpc' | 'http', options: ClientListenerOptions): void {
  if (protocol === 'grpc') {
    if (options.grpc) options.grpc.injectConnection(socket);
    else socket.destroy(); // HTTP/2 on a gateway-only URL: etcd's HTTP listener speaks HTTP/1.1
    return;
  }
  if (options.http) {
    options.http.emit('connection', socket);
    // The http server reads what arrives next itself; the bytes put back reach it as 'data' once the socket flows again.
    socket.resume();
  } else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
}
