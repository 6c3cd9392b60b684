// The gateway's streams over WebSocket, as etcd's gateway serves them
// (grpc-websocket-proxy): a client upgrades `/v3/watch` (or
// `/v3/lease/keepalive`), sends JSON requests as text messages and gets
// each answer as a text message `{"result":…}`; a stream's failure is a last
// message `{"error":…}`, then a normal close. ARCHITECTURE §1a.
import * as grpc from '@grpc/grpc-js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { etcdProtoRoot } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import { streamErrorBody } from './http-errors.js';
import { JsonValueSplitter } from './json-values.js';
import { bytesSerialization } from './loopback.js';
import { decodeToJson, encodeJsonRequest } from './proto-json.js';
import { gatewayRoutes } from './routes.js';
import { WsFrameReader, WsProtocolError, closePayload, encodeWsFrame, wsAcceptKey, wsCloseCodes, wsOpcodes } from './ws-frames.js';

export interface StreamSlots {
  tryOpen(): boolean;
  close(): void;
}

export interface WebSocketDeps {
  client: grpc.Client;
  streams: StreamSlots;
  /** a message (all its fragments) over this is refused with close code 1009: the gateway's request body limit */
  messageBytesMax: number;
  log: Logger;
}

/** The http.Server's 'upgrade' event: a WebSocket on a streaming path, else an HTTP error and the socket closed. */
export function upgradeToWebSocket(deps: WebSocketDeps, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const route = gatewayRoutes.get(new URL(req.url ?? '/', 'http://gateway').pathname);
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || req.headers['sec-websocket-version'] !== '13' || typeof key !== 'string' || req.method !== 'GET') {
    return refuse(socket, 400, 'Bad Request');
  }
  if (route?.kind !== 'bidi') return refuse(socket, 404, 'Not Found');
  if (!deps.streams.tryOpen()) return refuse(socket, 429, 'Too Many Requests');
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${wsAcceptKey(key)}`, '', ''].join('\r\n'));
  const metadata = new grpc.Metadata();
  // As on POST: etcd's auth reads the token from the Authorization header.
  if (typeof req.headers.authorization === 'string') metadata.set('authorization', req.headers.authorization);
  const types = { request: etcdProtoRoot().lookupType(route.request), response: etcdProtoRoot().lookupType(route.response) };
  const call = deps.client.makeBidiStreamRequest(route.method, bytesSerialization.serialize, bytesSerialization.deserialize, metadata);
  const reader = new WsFrameReader(deps.messageBytesMax);
  // wsproxy writes each message and a newline into the request body, which is read as a run of JSON values.
  const splitter = new JsonValueSplitter(deps.messageBytesMax);
  let closing = false;

  const send = (value: unknown): void => {
    if (closing) return;
    if (!socket.write(encodeWsFrame(wsOpcodes.text, Buffer.from(JSON.stringify(value))))) call.pause();
  };
  const close = (code: number, reason = ''): void => {
    if (closing) return;
    closing = true;
    socket.end(encodeWsFrame(wsOpcodes.close, closePayload(code, reason)));
    call.cancel();
  };

  socket.on('drain', () => call.resume());
  socket.on('close', () => {
    closing = true;
    deps.streams.close();
    call.cancel();
  });
  socket.on('error', (err) => deps.log.debug('gateway websocket failed', { err }));
  call.on('data', (reply: Buffer) => send({ result: decodeToJson(types.response, reply) }));
  call.on('drain', () => socket.resume());
  call.on('error', (err: grpc.ServiceError) => {
    if (closing) return;
    send(streamErrorBody(err.code, err.details));
    close(wsCloseCodes.normal);
  });
  call.on('end', () => close(wsCloseCodes.normal));

  const receive = (chunk: Buffer): void => {
    try {
      for (const event of reader.push(chunk)) {
        if (closing) return;
        if (event.kind === 'ping') socket.write(encodeWsFrame(wsOpcodes.pong, event.payload));
        else if (event.kind === 'close') close(event.code ?? wsCloseCodes.normal);
        else if (event.kind === 'message') {
          for (const value of splitter.push(`${event.data.toString('utf8')}\n`)) {
            // The gRPC side's flow control holds the socket back when the server does not keep up.
            if (!call.write(Buffer.from(encodeJsonRequest(types.request, value)))) socket.pause();
          }
        }
      }
    } catch (err) {
      if (err instanceof WsProtocolError) return close(err.code, err.message);
      // A request that is no JSON or no such message: etcd's stream error, then the stream ends.
      send(streamErrorBody(grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err)));
      close(wsCloseCodes.normal);
    }
  };
  socket.on('data', receive);
  if (head.length > 0) receive(head);
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${text.length + 1}\r\nConnection: close\r\n\r\n${text}\n`);
}
