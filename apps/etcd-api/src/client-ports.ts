// Every client URL of the frontend (--listen-client-urls, and
// --listen-client-http-urls for the JSON gateway on ports of its own),
// each a client listener feeding the one gRPC server and the one gateway.
import * as grpc from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from '@eckd/service-kit';
import { startClientListener } from './client-listener.js';
import type { ClientListener } from './client-listener.js';
import { loadClientTls } from './client-tls.js';
import type { FrontendConfig } from './config.js';

export interface ClientPorts {
  /** bound ports of --listen-client-urls, in order */
  readonly clientPorts: number[];
  /** bound ports of --listen-client-http-urls, in order */
  readonly httpPorts: number[];
  /** stops accepting connections and shuts the gRPC server down (open calls finish) */
  close(): Promise<void>;
}

export async function startClientPorts(
  config: Pick<FrontendConfig, 'listen' | 'listenHttp' | 'tls' | 'clientFirstBytesTimeoutMs'>,
  server: grpc.Server,
  gateway: HttpServer | undefined,
  log: Logger,
): Promise<ClientPorts> {
  // TLS, when there is any, is the listener's: grpc-js gets decrypted connections.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const tls = config.tls === undefined ? undefined : loadClientTls(config.tls);
  // etcd 3.5's --listen-client-http-urls moves HTTP off the client URLs.
  const gatewayOnClientUrls = config.listenHttp.length === 0 ? gateway : undefined;
  const listeners: ClientListener[] = [];
  const close = async () => {
    await Promise.all(listeners.map((l) => l.close()));
    gateway?.closeAllConnections();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    injector.destroy();
  };
  try {
    for (const url of config.listen) listeners.push(await startClientListener({ url, tls, grpc: injector, http: gatewayOnClientUrls, firstBytesTimeoutMs: config.clientFirstBytesTimeoutMs, log }));
    for (const url of config.listenHttp) listeners.push(await startClientListener({ url, tls, grpc: undefined, http: gateway, firstBytesTimeoutMs: config.clientFirstBytesTimeoutMs, log }));
  } catch (err) {
    await close();
    throw err;
  }
  return {
    clientPorts: listeners.slice(0, config.listen.length).map((l) => l.port),
    httpPorts: listeners.slice(config.listen.length).map((l) => l.port),
    close,
  };
}
