// The client listener with a real grpc-js server and a real http server on
// one port, plaintext and TLS (certificates made at run time): HTTP/2 goes
// to gRPC, HTTP/1.1 to HTTP, client certificates are required under
// --client-cert-auth, and both sides see the verified common name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { loadEtcdGrpc } from '@eckd/etcd-proto';
import type { KVClient, KVHandlers } from '@eckd/etcd-proto';
import { createLogger } from '@eckd/service-kit';
import { makeTestCertificates } from '@eckd/testing';
import type { TestCertificates } from '@eckd/testing';
import { callCommonName, requestCommonName } from './client-identity.js';
import { startClientListener } from './client-listener.js';
import type { ClientListener } from './client-listener.js';
import { loadClientTls } from './client-tls.js';

const log = createLogger('client-listener-spec');
let certs: TestCertificates;
let grpcServer: grpc.Server;
let http: HttpServer;
const listeners: ClientListener[] = [];
const clients: grpc.Client[] = [];

before(async () => {
  certs = await makeTestCertificates();
  grpcServer = new grpc.Server();
  // Range answers with the caller's common name as the only key: enough to see gRPC reached and what it saw.
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) => callback({ code: grpc.status.UNIMPLEMENTED });
  const handlers: KVHandlers = {
    Range: (call, callback) => callback(null, { kvs: [{ key: Buffer.from(callCommonName(call) ?? '(none)') }] }),
    Put: unimplemented,
    DeleteRange: unimplemented,
    Txn: unimplemented,
    Compact: unimplemented,
  };
  grpcServer.addService(loadEtcdGrpc().KV, handlers);
  http = createServer((req, res) => res.end(`http:${requestCommonName(req) ?? '(none)'}`));
});
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(listeners.map((l) => l.close()));
  http.closeAllConnections();
  await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
  await certs.stop();
});

async function listen(scheme: 'http' | 'https', clientCertAuth: boolean): Promise<number> {
  const files = { certFile: certs.server.cert, keyFile: certs.server.key, trustedCaFile: certs.caFile, clientCertAuth };
  const listener = await startClientListener({
    url: { scheme, host: '127.0.0.1', port: 0 },
    tls: scheme === 'https' ? loadClientTls(files) : undefined,
    grpc: grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure()),
    http,
    firstBytesTimeoutMs: 10_000,
    log,
  });
  listeners.push(listener);
  return listener.port;
}

function kvClient(port: number, credentials: grpc.ChannelCredentials): KVClient {
  const { KV } = loadEtcdGrpc().grpcObject.etcdserverpb;
  const client = new KV(`127.0.0.1:${port}`, credentials);
  clients.push(client);
  return client;
}

function rangeKey(client: KVClient): Promise<string> {
  return new Promise((resolve, reject) =>
    client.Range({ key: Buffer.from('k') }, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res!.kvs[0]!.key.toString()))),
  );
}

function tlsCredentials(pair?: { cert: string; key: string }): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(readFileSync(certs.caFile), pair ? readFileSync(pair.key) : null, pair ? readFileSync(pair.cert) : null);
}

function httpsGet(port: number, pair?: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: readFileSync(certs.caFile),
        ...(pair ? { cert: readFileSync(pair.cert), key: readFileSync(pair.key) } : {}),
        // What curl offers: an HTTP client that can do both gets HTTP/1.1, the gateway's protocol.
        agent: new Agent({ ALPNProtocols: ['h2', 'http/1.1'] }),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('client listener', () => {
  test('plaintext: gRPC and HTTP/1.1 on one port', async () => {
    const port = await listen('http', false);
    assert.equal(await rangeKey(kvClient(port, grpc.credentials.createInsecure())), '(none)');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'http:(none)');
  });

  test('TLS without client certificates: gRPC and HTTPS on one port, no common name', async () => {
    const port = await listen('https', false);
    assert.equal(await rangeKey(kvClient(port, tlsCredentials())), '(none)');
    assert.equal(await httpsGet(port), 'http:(none)');
  });

  test('--client-cert-auth: a client certificate signed by the CA is required and its common name is seen', async () => {
    const port = await listen('https', true);
    const alice = await certs.client('alice');
    assert.equal(await rangeKey(kvClient(port, tlsCredentials(alice))), 'alice');
    assert.equal(await httpsGet(port, alice), 'http:alice');
    await assert.rejects(rangeKey(kvClient(port, tlsCredentials())), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
    await assert.rejects(httpsGet(port));
    const mallory = await certs.stranger('alice');
    await assert.rejects(rangeKey(kvClient(port, tlsCredentials(mallory))), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
    await assert.rejects(httpsGet(port, mallory));
  });

  test('plaintext to a TLS port fails; TLS to a plaintext port fails', async () => {
    const tlsPort = await listen('https', false);
    await assert.rejects(rangeKey(kvClient(tlsPort, grpc.credentials.createInsecure())), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
    await assert.rejects(fetch(`http://127.0.0.1:${tlsPort}/`));
    const plainPort = await listen('http', false);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: plainPort, ca: readFileSync(certs.caFile) }, () => resolve(socket));
        socket.on('error', reject);
      }),
    );
  });
});
