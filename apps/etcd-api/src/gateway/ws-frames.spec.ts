import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WsFrameReader, WsProtocolError, closePayload, encodeWsFrame, wsAcceptKey, wsOpcodes } from './ws-frames.js';

const mask = Buffer.from([1, 2, 3, 4]);
const client = (opcode: number, payload: string | Buffer, fin = true): Buffer => {
  const frame = encodeWsFrame(opcode, Buffer.from(payload), mask);
  if (!fin) frame[0]! &= 0x7f;
  return frame;
};
const refusedWith = (code: number) => (err: unknown) => err instanceof WsProtocolError && err.code === code;

describe('WebSocket frames (RFC 6455)', () => {
  test("the handshake's accept key is RFC 6455's example", () => {
    assert.equal(wsAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('masked text in pieces, all three length forms, fragments joined, pings and close in between', () => {
    const reader = new WsFrameReader(1 << 20);
    const long = 'x'.repeat(70_000);
    const bytes = Buffer.concat([
      client(wsOpcodes.text, 'short'),
      client(wsOpcodes.text, 'y'.repeat(300)),
      client(wsOpcodes.text, long),
      client(wsOpcodes.text, '{"a":', false),
      client(wsOpcodes.ping, 'p'),
      client(wsOpcodes.continuation, '1}'),
      client(wsOpcodes.close, closePayload(1000, 'bye')),
    ]);
    const events = [];
    // In 997-byte pieces: frames split inside headers and payloads.
    for (let i = 0; i < bytes.length; i += 997) events.push(...reader.push(bytes.subarray(i, i + 997)));
    assert.deepEqual(
      events.map((e) => (e.kind === 'message' ? e.data.toString('utf8').length : e.kind)),
      [5, 300, 70_000, 'ping', 7, 'close'],
    );
    assert.deepEqual(events[5], { kind: 'close', code: 1000, reason: 'bye' });
  });

  test('server frames are unmasked, with the length forms', () => {
    assert.deepEqual([...encodeWsFrame(wsOpcodes.text, Buffer.from('hi'))], [0x81, 2, 0x68, 0x69]);
    assert.deepEqual([...encodeWsFrame(wsOpcodes.text, Buffer.alloc(300)).subarray(0, 4)], [0x81, 126, 1, 44]);
    assert.equal(encodeWsFrame(wsOpcodes.text, Buffer.alloc(70_000))[1], 127);
  });

  test('a message over the limit is refused with 1009 from its header, also when fragmented', () => {
    assert.throws(() => new WsFrameReader(10).push(client(wsOpcodes.text, 'x'.repeat(11)).subarray(0, 8)), refusedWith(1009));
    const reader = new WsFrameReader(10);
    reader.push(client(wsOpcodes.text, 'x'.repeat(6), false));
    assert.throws(() => reader.push(client(wsOpcodes.continuation, 'x'.repeat(5))), refusedWith(1009));
  });

  test('protocol errors: unmasked, long or fragmented control frames, stray continuation, bad UTF-8', () => {
    assert.throws(() => new WsFrameReader(100).push(encodeWsFrame(wsOpcodes.text, Buffer.from('x'))), refusedWith(1002));
    assert.throws(() => new WsFrameReader(1000).push(client(wsOpcodes.ping, 'x'.repeat(126))), refusedWith(1002));
    assert.throws(() => new WsFrameReader(100).push(client(wsOpcodes.ping, 'x', false)), refusedWith(1002));
    assert.throws(() => new WsFrameReader(100).push(client(wsOpcodes.continuation, 'x')), refusedWith(1002));
    assert.throws(() => new WsFrameReader(100).push(client(0x3, 'x')), refusedWith(1002));
    assert.throws(() => new WsFrameReader(100).push(client(wsOpcodes.text, Buffer.from([0xc3, 0x28]))), refusedWith(1007));
  });
});
