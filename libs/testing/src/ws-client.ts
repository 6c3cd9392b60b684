// A minimal WebSocket client for tests (Node 20 has none built in): the
// opening handshake over http.request's 'upgrade', masked frames out, and
// the server's frames in, one at a time. Its codec is written apart from
// the server's (apps/etcd-api/src/gateway/ws-frames.ts) on purpose.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface WsFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

export interface WsTestClient {
  /** One masked frame; `fin` false starts or continues a fragmented message. */
  sendFrame(opcode: number, payload: Buffer | string, fin?: boolean): void;
  sendText(text: string): void;
  /** The server's next frame (rejects after `timeoutMs`, or when the connection ends first). */
  nextFrame(timeoutMs?: number): Promise<WsFrame>;
  /** The next text message's JSON, skipping nothing: rejects if the next frame is not text. */
  nextJson(timeoutMs?: number): Promise<unknown>;
  close(): void;
}

/** Upgrades `url` (http://host:port/path); rejects with the HTTP status when the server answers without upgrading. */
export function connectWebSocket(url: string, headers: Record<string, string> = {}): Promise<WsTestClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`no upgrade: HTTP ${res.statusCode}`));
    });
    req.on('error', reject);
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve(clientOf(socket, head)));
    req.end();
  });
}

function clientOf(socket: Socket, head: Buffer): WsTestClient {
  let buffered = head;
  const frames: WsFrame[] = [];
  let waiter: (() => void) | undefined;
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let frame = parse(); frame; frame = parse()) frames.push(frame);
    waiter?.();
  });
  socket.on('close', () => {
    ended = true;
    waiter?.();
  });
  socket.on('error', () => undefined);
  const parse = (): WsFrame | undefined => {
    if (buffered.length < 2) return undefined;
    const short = buffered[1]! & 0x7f;
    const extra = short === 126 ? 2 : short === 127 ? 8 : 0;
    if (buffered.length < 2 + extra) return undefined;
    const length = extra === 0 ? short : extra === 2 ? buffered.readUInt16BE(2) : Number(buffered.readBigUInt64BE(2));
    if (buffered.length < 2 + extra + length) return undefined;
    const frame = { fin: (buffered[0]! & 0x80) !== 0, opcode: buffered[0]! & 0x0f, payload: Buffer.from(buffered.subarray(2 + extra, 2 + extra + length)) };
    buffered = buffered.subarray(2 + extra + length);
    return frame;
  };
  const sendFrame = (opcode: number, data: Buffer | string, fin = true): void => {
    const payload = Buffer.from(data);
    const mask = randomBytes(4);
    const extra = payload.length < 126 ? 0 : payload.length < 0x10000 ? 2 : 8;
    const header = Buffer.alloc(2 + extra);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | (extra === 0 ? payload.length : extra === 2 ? 126 : 127);
    if (extra === 2) header.writeUInt16BE(payload.length, 2);
    if (extra === 8) header.writeBigUInt64BE(BigInt(payload.length), 2);
    socket.write(Buffer.concat([header, mask, payload.map((b, i) => b ^ mask[i % 4]!)]));
  };
  const nextFrame = async (timeoutMs = 15_000): Promise<WsFrame> => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length === 0) {
      if (ended) throw new Error('connection closed');
      if (Date.now() >= deadline) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      waiter = undefined;
    }
    return frames.shift()!;
  };
  return {
    sendFrame,
    sendText: (text) => sendFrame(0x1, text),
    nextFrame,
    nextJson: async (timeoutMs) => {
      const frame = await nextFrame(timeoutMs);
      if (frame.opcode !== 0x1) throw new Error(`expected a text frame, got opcode ${frame.opcode} (${frame.payload.toString('utf8')})`);
      return JSON.parse(frame.payload.toString('utf8')) as unknown;
    },
    close: () => socket.destroy(),
  };
}
