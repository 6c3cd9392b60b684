// Just enough of the Postgres wire protocol (v3) for the PGlite gate: cutting
// a client's byte stream into messages, finding ReadyForQuery in the server's
// replies, and giving each client its own prepared-statement names.

export const protocolVersion3 = 196_608;
export const sslRequestCode = 80_877_103;
export const gssEncRequestCode = 80_877_104;
export const cancelRequestCode = 80_877_102;
/** Postgres refuses bigger messages too (1 GB); this stops a runaway client. */
export const messageBytesMax = 1024 * 1024 * 1024;

export type FrontendMessage =
  | { readonly kind: 'ssl-request' | 'gss-request' | 'cancel-request'; readonly bytes: Uint8Array }
  | { readonly kind: 'startup'; readonly bytes: Uint8Array }
  | { readonly kind: 'typed'; readonly type: string; readonly bytes: Uint8Array };

/** Transaction status carried by ReadyForQuery: idle, in a transaction, in a failed one. */
export type TransactionStatus = 'I' | 'T' | 'E';

export class PgWireError extends Error {
  constructor(message: string) {
    super(`pg-wire: ${message}`);
    this.name = 'PgWireError';
  }
}

/** Cuts what a client sends into whole messages; the first ones carry no type byte. */
export class FrontendFramer {
  #buffer: Buffer = Buffer.alloc(0);
  #startedUp = false;

  push(chunk: Uint8Array): FrontendMessage[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const out: FrontendMessage[] = [];
    for (;;) {
      const message = this.#startedUp ? this.#nextTyped() : this.#nextUntyped();
      if (message === undefined) return out;
      out.push(message);
    }
  }

  #nextUntyped(): FrontendMessage | undefined {
    if (this.#buffer.length < 8) return undefined;
    const length = this.#buffer.readInt32BE(0);
    if (length < 8 || length > messageBytesMax) throw new PgWireError(`bad start-up message length ${length}`);
    if (this.#buffer.length < length) return undefined;
    const bytes = this.#take(length);
    const code = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readInt32BE(4);
    if (code === sslRequestCode) return { kind: 'ssl-request', bytes };
    if (code === gssEncRequestCode) return { kind: 'gss-request', bytes };
    if (code === cancelRequestCode) return { kind: 'cancel-request', bytes };
    if (code !== protocolVersion3) throw new PgWireError(`unsupported protocol version ${code}`);
    this.#startedUp = true;
    return { kind: 'startup', bytes };
  }

  #nextTyped(): FrontendMessage | undefined {
    if (this.#buffer.length < 5) return undefined;
    const length = this.#buffer.readInt32BE(1);
    if (length < 4 || length > messageBytesMax) throw new PgWireError(`bad message length ${length}`);
    if (this.#buffer.length < length + 1) return undefined;
    const type = String.fromCharCode(this.#buffer[0]!);
    return { kind: 'typed', type, bytes: this.#take(length + 1) };
  }

  #take(count: number): Uint8Array {
    const bytes = Buffer.from(this.#buffer.subarray(0, count));
    this.#buffer = this.#buffer.subarray(count);
    return bytes;
  }
}

/**
 * Follows the server's replies message by message, across chunk boundaries,
 * and remembers the status of the last ReadyForQuery seen.
 */
export class BackendScanner {
  #header = Buffer.alloc(5);
  #headerFill = 0;
  #bodyLeft = 0;
  #inReadyForQuery = false;
  #lastStatus: TransactionStatus | undefined;
  #sawError = false;

  /** The status of the last ReadyForQuery since reset(), if any. */
  get lastStatus(): TransactionStatus | undefined {
    return this.#lastStatus;
  }

  /** Whether an ErrorResponse came since reset(). */
  get sawError(): boolean {
    return this.#sawError;
  }

  reset(): void {
    this.#lastStatus = undefined;
    this.#sawError = false;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, chunk.length - offset);
        if (this.#inReadyForQuery) this.#lastStatus = statusOf(chunk[offset + take - 1]!);
        this.#bodyLeft -= take;
        offset += take;
        continue;
      }
      this.#header[this.#headerFill++] = chunk[offset++]!;
      if (this.#headerFill < 5) continue;
      this.#headerFill = 0;
      const length = this.#header.readInt32BE(1);
      if (length < 4) throw new PgWireError(`bad server message length ${length}`);
      this.#inReadyForQuery = this.#header[0] === 0x5a; // 'Z'
      if (this.#header[0] === 0x45) this.#sawError = true; // 'E'
      this.#bodyLeft = length - 4;
    }
  }
}

function statusOf(byte: number): TransactionStatus {
  const status = String.fromCharCode(byte);
  if (status !== 'I' && status !== 'T' && status !== 'E') throw new PgWireError(`bad transaction status ${status}`);
  return status;
}

/**
 * Rewrites the prepared-statement name in Parse, Bind, Describe and Close so
 * that each client has names of its own on the one shared PGlite session.
 * The unnamed statement is left alone: a client holds the gate from its Parse
 * to its Sync, so no one else can replace it in between.
 */
export function renameStatement(
  message: FrontendMessage,
  prefix: string,
): { bytes: Uint8Array; statement: string | undefined } {
  if (message.kind !== 'typed') return { bytes: message.bytes, statement: undefined };
  const body = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.length);
  let nameAt: number;
  if (message.type === 'P') nameAt = 5;
  else if (message.type === 'B') nameAt = body.indexOf(0, 5) + 1; // after the portal name
  else if ((message.type === 'D' || message.type === 'C') && body[5] === 0x53) nameAt = 6; // 'S'
  else return { bytes: message.bytes, statement: undefined };
  const nameEnd = body.indexOf(0, nameAt);
  if (nameAt <= 0 || nameEnd < 0) throw new PgWireError(`malformed ${message.type} message`);
  const name = body.toString('utf8', nameAt, nameEnd);
  if (name === '') return { bytes: message.bytes, statement: undefined };
  const renamed = Buffer.from(prefix + name, 'utf8');
  const bytes = Buffer.concat([body.subarray(0, nameAt), renamed, body.subarray(nameEnd)]);
  bytes.writeInt32BE(bytes.length - 1, 1);
  return { bytes, statement: prefix + name };
}

export function syncMessage(): Uint8Array {
  return typed('S', Buffer.alloc(0));
}

export function queryMessage(sql: string): Uint8Array {
  return typed('Q', cString(sql));
}

export function closeStatementMessage(name: string): Uint8Array {
  return typed('C', Buffer.concat([Buffer.from('S'), cString(name)]));
}

/** A FATAL ErrorResponse, sent before the gate closes a client's connection. */
export function fatalErrorMessage(sqlState: string, text: string): Uint8Array {
  const fields = Buffer.concat([
    Buffer.from('S'), cString('FATAL'),
    Buffer.from('V'), cString('FATAL'),
    Buffer.from('C'), cString(sqlState),
    Buffer.from('M'), cString(text),
    Buffer.from([0]),
  ]);
  return Buffer.concat([Buffer.from('E'), int32(fields.length + 4), fields]);
}

function typed(type: string, body: Buffer): Uint8Array {
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
}

function cString(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

function int32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value, 0);
  return out;
}
