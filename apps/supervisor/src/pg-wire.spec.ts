import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bindMessage, parseMessage, queryMessage } from '../test/raw-pg-client.js';
import {
  BackendScanner,
  FrontendFramer,
  PgWireError,
  closeStatementMessage,
  fatalErrorMessage,
  renameStatement,
  syncMessage,
} from './pg-wire.js';

function startup(): Buffer {
  const params = Buffer.from('user\0postgres\0\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196_608, 4);
  return Buffer.concat([head, params]);
}

function sslRequest(): Buffer {
  const out = Buffer.alloc(8);
  out.writeInt32BE(8, 0);
  out.writeInt32BE(80_877_103, 4);
  return out;
}

function readyForQuery(status: string): Buffer {
  return Buffer.from([0x5a, 0, 0, 0, 5, status.charCodeAt(0)]);
}

describe('pg wire', () => {
  test('pg wire - framer handles the untyped start, then typed messages cut anywhere', () => {
    const framer = new FrontendFramer();
    const stream = Buffer.concat([sslRequest(), startup(), queryMessage('SELECT 1'), syncMessage()]);
    const seen: string[] = [];
    for (let i = 0; i < stream.length; i += 3) {
      for (const message of framer.push(stream.subarray(i, i + 3))) {
        seen.push(message.kind === 'typed' ? message.type : message.kind);
      }
    }
    assert.deepEqual(seen, ['ssl-request', 'startup', 'Q', 'S']);
  });

  test('pg wire - framer rejects garbage', () => {
    assert.throws(() => new FrontendFramer().push(Buffer.from([0, 0, 0, 8, 0, 1, 0, 0])), PgWireError);
    const framer = new FrontendFramer();
    framer.push(startup());
    assert.throws(() => framer.push(Buffer.from([0x51, 0, 0, 0, 1])), /bad message length/);
  });

  test('pg wire - scanner finds the last ReadyForQuery status across chunks', () => {
    const scanner = new BackendScanner();
    const reply = Buffer.concat([Buffer.from([0x43, 0, 0, 0, 10]), Buffer.from('BEGIN\0'), readyForQuery('T')]);
    for (let i = 0; i < reply.length; i++) scanner.push(reply.subarray(i, i + 1));
    assert.equal(scanner.lastStatus, 'T');
    scanner.push(readyForQuery('I'));
    assert.equal(scanner.lastStatus, 'I');
    scanner.reset();
    assert.equal(scanner.lastStatus, undefined);
    // A body that happens to contain 'Z' is not mistaken for ReadyForQuery.
    scanner.push(Buffer.from([0x44, 0, 0, 0, 6, 0x5a, 0x45]));
    assert.equal(scanner.lastStatus, undefined);
  });

  test('pg wire - statement names are prefixed in Parse, Bind, Describe and Close', () => {
    const parse = renameStatement({ kind: 'typed', type: 'P', bytes: parseMessage('s1', 'SELECT $1') }, 'c7_');
    assert.equal(parse.statement, 'c7_s1');
    assert.deepEqual(Buffer.from(parse.bytes), parseMessage('c7_s1', 'SELECT $1'));
    const bind = renameStatement({ kind: 'typed', type: 'B', bytes: bindMessage('s1', ['x']) }, 'c7_');
    assert.deepEqual(Buffer.from(bind.bytes), bindMessage('c7_s1', ['x']));
    const close = renameStatement({ kind: 'typed', type: 'C', bytes: closeStatementMessage('s1') }, 'c7_');
    assert.deepEqual(Buffer.from(close.bytes), Buffer.from(closeStatementMessage('c7_s1')));
    const unnamed = parseMessage('', 'SELECT 1');
    assert.equal(renameStatement({ kind: 'typed', type: 'P', bytes: unnamed }, 'c7_').bytes, unnamed);
    const query = queryMessage('SELECT 1');
    assert.equal(renameStatement({ kind: 'typed', type: 'Q', bytes: query }, 'c7_').statement, undefined);
  });

  test('pg wire - a fatal error message is well formed', () => {
    const message = Buffer.from(fatalErrorMessage('53300', 'too many'));
    assert.equal(message[0], 0x45);
    assert.equal(message.readInt32BE(1), message.length - 1);
    assert.equal(message.at(-1), 0);
  });
});
