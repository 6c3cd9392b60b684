// RFC 6455 frames, the part a server needs: the opening handshake's accept
// key, reading a client's (masked) frames into messages and control frames,
// and writing unmasked frames. A message, whole or in fragments, larger than
// the limit is refused with close code 1009 before it is buffered.
import { createHash } from 'node:crypto';

export const wsOpcodes = Object.freeze({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const);

/** Close codes (RFC 6455 §7.4.1). */
export const wsCloseCodes = Object.freeze({ normal: 1000, goingAway: 1001, protocolError: 1002, invalidPayload: 1007, tooBig: 1009, internalError: 1011 } as const);

/** A reason to close the connection, with the code to send. */
export class WsProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'WsProtocolError';
  }
}

export type WsEvent =
  | { readonly kind: 'message'; readonly data: Buffer }
  | { readonly kind: 'ping'; readonly payload: Buffer }
  | { readonly kind: 'pong' }
  | { readonly kind: 'close'; readonly code: number | undefined; readonly reason: string };

const handshakeGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key. */
export function wsAcceptKey(clientKey: string): string {
  return createHash('sha1').update(clientKey + handshakeGuid).digest('base64');
}

/** One frame; `mask` (4 bytes) only for a client's frames. */
export function encodeWsFrame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  if (!mask) return Buffer.concat([header, payload]);
  mask.copy(header, 2 + lengthBytes);
  return Buffer.concat([header, applyMask(payload, mask)]);
}

/** A close frame's payload: the code and a reason of at most 123 bytes. */
export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason).subarray(0, 123);
  const out = Buffer.alloc(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

function applyMask(payload: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a client's byte stream into events. Client frames must be masked;
 * control frames must be whole and at most 125 bytes; a text message must be
 * UTF-8. Throws WsProtocolError with the close code to answer.
 */
export class WsFrameReader {
  #buffered: Buffer = Buffer.alloc(0);
  /** the fragments of the message under way (its first frame's opcode) */
  #fragments: Buffer[] = [];
  #fragmentsBytes = 0;
  #messageOpcode: number | undefined;

  /** @param messageBytesMax a message (all its fragments) larger than this is refused with 1009 */
  constructor(private readonly messageBytesMax: number) {}

  push(chunk: Buffer): WsEvent[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const events: WsEvent[] = [];
    for (;;) {
      const frame = this.#nextFrame();
      if (!frame) return events;
      const event = this.#take(frame);
      if (event) events.push(event);
    }
  }

  #nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const b = this.#buffered;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    if ((b[0]! & 0x70) !== 0) throw new WsProtocolError(wsCloseCodes.protocolError, 'reserved bits set');
    const opcode = b[0]! & 0x0f;
    if ((b[1]! & 0x80) === 0) throw new WsProtocolError(wsCloseCodes.protocolError, 'client frame not masked');
    const short = b[1]! & 0x7f;
    const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
    if (b.length < 2 + lengthBytes) return undefined;
    const length = lengthBytes === 0 ? short : lengthBytes === 2 ? b.readUInt16BE(2) : Number(b.readBigUInt64BE(2));
    const isControl = (opcode & 0x08) !== 0;
    if (isControl && (!fin || length > 125)) throw new WsProtocolError(wsCloseCodes.protocolError, 'control frame fragmented or over 125 bytes');
    // Checked from the header alone, so a large frame is refused before it is buffered.
    if (!isControl && this.#fragmentsBytes + length > this.messageBytesMax) {
      throw new WsProtocolError(wsCloseCodes.tooBig, `message over ${this.messageBytesMax} bytes`);
    }
    const start = 2 + lengthBytes + 4;
    if (b.length < start + length) return undefined;
    const payload = applyMask(b.subarray(start, start + length), b.subarray(start - 4, start));
    this.#buffered = b.subarray(start + length);
    return { fin, opcode, payload };
  }

  #take(frame: { fin: boolean; opcode: number; payload: Buffer }): WsEvent | undefined {
    switch (frame.opcode) {
      case wsOpcodes.ping:
        return { kind: 'ping', payload: frame.payload };
      case wsOpcodes.pong:
        return { kind: 'pong' };
      case wsOpcodes.close:
        return this.#close(frame.payload);
      case wsOpcodes.text:
      case wsOpcodes.binary:
        if (this.#messageOpcode !== undefined) throw new WsProtocolError(wsCloseCodes.protocolError, 'new message inside a fragmented one');
        this.#messageOpcode = frame.opcode;
        break;
      case wsOpcodes.continuation:
        if (this.#messageOpcode === undefined) throw new WsProtocolError(wsCloseCodes.protocolError, 'continuation without a message');
        break;
      default:
        throw new WsProtocolError(wsCloseCodes.protocolError, `unknown opcode ${frame.opcode}`);
    }
    this.#fragments.push(frame.payload);
    this.#fragmentsBytes += frame.payload.length;
    if (!frame.fin) return undefined;
    const data = Buffer.concat(this.#fragments);
    const opcode = this.#messageOpcode;
    this.#fragments = [];
    this.#fragmentsBytes = 0;
    this.#messageOpcode = undefined;
    if (opcode === wsOpcodes.text) checkUtf8(data);
    return { kind: 'message', data };
  }

  #close(payload: Buffer): WsEvent {
    if (payload.length === 1) throw new WsProtocolError(wsCloseCodes.protocolError, 'close payload of one byte');
    if (payload.length === 0) return { kind: 'close', code: undefined, reason: '' };
    const reason = payload.subarray(2);
    checkUtf8(reason);
    return { kind: 'close', code: payload.readUInt16BE(0), reason: reason.toString('utf8') };
  }
}

function checkUtf8(data: Buffer): void {
  try {
    utf8.decode(data);
  } catch {
    throw new WsProtocolError(wsCloseCodes.invalidPayload, 'text is not UTF-8');
  }
}
