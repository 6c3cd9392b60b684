// etcd's JSON gateway on the client port: HTTP/1.1 requests on etcd's
// grpc-gateway paths become calls of the frontend's own gRPC methods
// (through the loopback), and their answers etcd's JSON. Also etcd's HTTP
// endpoints of the client port (/version, /health, /livez, /readyz,
// /metrics), answered by the ops listener's handler. ARCHITECTURE §1a.
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type protobuf from 'protobufjs';
import { etcdProtoRoot } from '@eckd/etcd-proto';
import type { Logger, OpsRequestHandler } from '@eckd/service-kit';
import { errorBody, httpStatusOf, streamErrorBody } from './http-errors.js';
import { JsonValueSplitter, parseJson } from './json-values.js';
import { bytesSerialization } from './loopback.js';
import { GatewayInputError, decodeToJson, encodeJsonRequest } from './proto-json.js';
import { gatewayRoutes } from './routes.js';
import type { GatewayRoute } from './routes.js';
import { upgradeToWebSocket } from './websocket.js';
import type { StreamSlots } from './websocket.js';

export interface GatewayDeps {
  /** the loopback client of the frontend's gRPC server */
  client: grpc.Client;
  /** --max-request-bytes; a body may carry etcd's 512 KiB of gRPC overhead on top */
  maxRequestBytes: number;
  /** ECKD_GATEWAY_WATCH_STREAMS_MAX: Watch and LeaseKeepAlive streams open at once */
  streamsMax: number;
  /** etcd's /version, /health, /livez, /readyz and /metrics: the ops listener's own handler (one implementation); true when it answered */
  ops: OpsRequestHandler;
  log: Logger;
}

const grpcOverheadBytes = 512 * 1024;

// etcd's gateway answers every request with these.
const corsHeaders = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};

export function createGateway(deps: GatewayDeps): Server {
  let openStreams = 0;
  const streams = {
    tryOpen: () => (openStreams < deps.streamsMax ? (openStreams++, true) : false),
    close: () => void openStreams--,
  };
  // A LeaseKeepAlive or Watch body may stream for as long as the client likes (etcd sets no read timeout); headers still have Node's 60 s.
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    for (const [name, value] of Object.entries(corsHeaders)) res.setHeader(name, value);
    handle(deps, streams, req, res).catch((err: unknown) => {
      deps.log.warn('gateway request failed', { err, path: req.url });
      if (!res.headersSent) sendError(res, grpc.status.UNKNOWN, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  // WebSocket streams share the POST streams' slots and body limit.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    upgradeToWebSocket({ client: deps.client, streams, messageBytesMax: deps.maxRequestBytes + grpcOverheadBytes, log: deps.log }, req, socket, head),
  );
  return server;
}

async function handle(deps: GatewayDeps, streams: StreamSlots, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.ops(req, res)) return;
  const route = gatewayRoutes.get(new URL(req.url ?? '/', 'http://gateway').pathname);
  if (!route) return sendText(res, 404, 'Not Found\n');
  if (req.method !== 'POST') return sendText(res, 405, 'Method Not Allowed\n');
  const types = { request: etcdProtoRoot().lookupType(route.request), response: etcdProtoRoot().lookupType(route.response) };
  const metadata = new grpc.Metadata();
  // etcd's gateway passes the Authorization header on; etcd's auth reads the token from it.
  if (typeof req.headers.authorization === 'string') metadata.set('authorization', req.headers.authorization);
  const limit = deps.maxRequestBytes + grpcOverheadBytes;
  if (route.kind === 'bidi') return bidi(deps, streams, route, types, metadata, limit, req, res);
  let request: Uint8Array;
  try {
    const body = await readBody(req, limit);
    request = encodeJsonRequest(types.request, body.trim() === '' ? {} : parseJson(body));
  } catch (err) {
    if (err instanceof GatewayInputError) return sendError(res, grpc.status.INVALID_ARGUMENT, err.message);
    throw err;
  }
  if (route.kind === 'server-stream') return serverStream(deps, route, types.response, metadata, request, res);
  const call = deps.client.makeUnaryRequest(route.method, bytesSerialization.serialize, bytesSerialization.deserialize, Buffer.from(request), metadata, (err, reply) => {
    if (err) return sendError(res, err.code, err.details);
    sendJson(res, 200, decodeToJson(types.response, reply!));
  });
  res.on('close', () => {
    if (!res.writableFinished) call.cancel();
  });
}

/** The body as text, refused (nothing is called) past the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayInputError('etcdserver: request is too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function serverStream(deps: GatewayDeps, route: GatewayRoute, responseType: protobuf.Type, metadata: grpc.Metadata, request: Uint8Array, res: ServerResponse): void {
  const call = deps.client.makeServerStreamRequest(route.method, bytesSerialization.serialize, bytesSerialization.deserialize, Buffer.from(request), metadata);
  pipeAnswers(call, responseType, res);
}

function bidi(
  deps: GatewayDeps,
  streams: StreamSlots,
  route: GatewayRoute,
  types: { request: protobuf.Type; response: protobuf.Type },
  metadata: grpc.Metadata,
  limit: number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (!streams.tryOpen()) {
    req.resume();
    return sendError(res, grpc.status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests');
  }
  res.on('close', streams.close);
  const call = deps.client.makeBidiStreamRequest(route.method, bytesSerialization.serialize, bytesSerialization.deserialize, metadata);
  pipeAnswers(call, types.response, res);
  const splitter = new JsonValueSplitter(limit);
  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    writeLine(res, streamErrorBody(grpc.status.INVALID_ARGUMENT, message));
    res.end();
    call.cancel();
  };
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    try {
      for (const value of splitter.push(chunk)) {
        // The gRPC side's flow control holds the body back when the server does not keep up.
        if (!call.write(Buffer.from(encodeJsonRequest(types.request, value)))) req.pause();
      }
    } catch (err) {
      req.removeAllListeners('data');
      req.resume();
      fail(err);
    }
  });
  call.on('drain', () => req.resume());
  req.on('end', () => {
    try {
      splitter.end();
    } catch (err) {
      fail(err);
      return;
    }
    if (route.halfCloseAtBodyEnd) call.end();
  });
}

/** Each answer as a line `{"result":…}`, with the HTTP response's back-pressure on the gRPC stream; the call ends with the response. */
function pipeAnswers(call: grpc.ClientReadableStream<Buffer>, responseType: protobuf.Type, res: ServerResponse): void {
  let failed = false;
  call.on('data', (reply: Buffer) => {
    if (!writeLine(res, { result: decodeToJson(responseType, reply) })) call.pause();
  });
  res.on('drain', () => call.resume());
  call.on('error', (err: grpc.ServiceError) => {
    failed = true;
    if (err.code === grpc.status.CANCELLED && res.destroyed) return;
    if (!res.headersSent) sendError(res, err.code, err.details);
    else {
      writeLine(res, streamErrorBody(err.code, err.details));
      res.end();
    }
  });
  call.on('end', () => {
    if (!failed && !res.writableEnded) {
      if (!res.headersSent) startStream(res);
      res.end();
    }
  });
  res.on('close', () => {
    if (!res.writableFinished) call.cancel();
  });
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
}

function writeLine(res: ServerResponse, value: unknown): boolean {
  if (res.writableEnded) return true;
  if (!res.headersSent) startStream(res);
  return res.write(`${JSON.stringify(value)}\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: number, message: string): void {
  sendJson(res, httpStatusOf(code), errorBody(code, message));
}
