// A Postgres wire client that sends bytes exactly when a test says so, to
// split one message across TCP writes (which node-postgres never lets a test
// control) and so reproduce how a large message reaches a server.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface BackendMessage {
  readonly type: string;
  readonly body: Buffer;
}

export class RawPgClient {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #messages: BackendMessage[] = [];
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 5 && this.#buffer.length >= this.#buffer.readInt32BE(1) + 1) {
        const length = this.#buffer.readInt32BE(1);
        this.#messages.push({ type: String.fromCharCode(this.#buffer[0]!), body: this.#buffer.subarray(5, length + 1) });
        this.#buffer = this.#buffer.subarray(length + 1);
      }
      this.#wake?.();
    });
  }

  static async connect(port: number): Promise<RawPgClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawPgClient(socket);
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196_608, 4);
    client.send(Buffer.concat([startup, params]));
    await client.readUntilReady();
    return client;
  }

  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  /** Every message up to and including the next ReadyForQuery. */
  async readUntilReady(): Promise<BackendMessage[]> {
    for (;;) {
      const at = this.#messages.findIndex((message) => message.type === 'Z');
      if (at !== -1) return this.#messages.splice(0, at + 1);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function parseMessage(statement: string, sql: string): Buffer {
  return typed('P', Buffer.concat([cString(statement), cString(sql), Buffer.from([0, 0])]));
}

export function bindMessage(statement: string, params: readonly string[]): Buffer {
  const parts = [cString(''), cString(statement), int16(0), int16(params.length)];
  for (const param of params) {
    const bytes = Buffer.from(param);
    parts.push(int32(bytes.length), bytes);
  }
  parts.push(int16(0));
  return typed('B', Buffer.concat(parts));
}

export function describePortalMessage(): Buffer {
  return typed('D', Buffer.from('P\0'));
}

export function executeMessage(): Buffer {
  return typed('E', Buffer.concat([cString(''), int32(0)]));
}

export function syncMessage(): Buffer {
  return typed('S', Buffer.alloc(0));
}

export function queryMessage(sql: string): Buffer {
  return typed('Q', cString(sql));
}

/** The column names of the first RowDescription among the messages. */
export function columnNames(messages: readonly BackendMessage[]): string[] {
  const description = messages.find((message) => message.type === 'T');
  if (description === undefined) return [];
  const names: string[] = [];
  let offset = 2;
  for (let i = 0; i < description.body.readInt16BE(0); i++) {
    const end = description.body.indexOf(0, offset);
    names.push(description.body.toString('utf8', offset, end));
    offset = end + 1 + 18;
  }
  return names;
}

/** The text of the first ErrorResponse among the messages, if any. */
export function errorText(messages: readonly BackendMessage[]): string | undefined {
  const error = messages.find((message) => message.type === 'E');
  if (error === undefined) return undefined;
  let offset = 0;
  while (offset < error.body.length && error.body[offset] !== 0) {
    const end = error.body.indexOf(0, offset + 1);
    if (error.body[offset] === 0x4d) return error.body.toString('utf8', offset + 1, end); // 'M'
    offset = end + 1;
  }
  return '';
}

function typed(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`);
}

function int16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeInt16BE(value, 0);
  return out;
}

function int32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value, 0);
  return out;
}
