import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictsCodecs } from './conflicts-messages.js';
import { validators } from './validate.js';

describe('conflicts messages', () => {
  test('a listing round-trips in the proto-loader object shape, int64 as decimal strings', () => {
    const side = { member_id: '5', origin_revision: '3', tag: '77' };
    const reply = conflictsCodecs.conflictsReply.decode(
      conflictsCodecs.conflictsReply.encode({
        list: {
          conflicts: [{ key: Buffer.from('k'), kind: 'put/delete', winner: side, loser: { ...side, member_id: '6' }, detected_revision: '9', detected_at_unix_ms: '100' }],
          total_by_kind: { 'put/delete': '1' },
        },
      }),
    );
    assert.equal(validators.conflictsReply(reply), undefined);
    assert.deepEqual(reply.list?.conflicts?.[0], {
      key: Buffer.from('k'),
      kind: 'put/delete',
      winner: side,
      loser: { ...side, member_id: '6' },
      detected_revision: '9',
      detected_at_unix_ms: '100',
    });
    assert.deepEqual(reply.list?.total_by_kind, { 'put/delete': '1' });
  });

  test('a request needs its listing, a count as limit and a known kind', () => {
    const decode = (bytes: Uint8Array) => conflictsCodecs.conflictsRequest.decode(bytes);
    const ok = decode(conflictsCodecs.conflictsRequest.encode({ list: { limit: '3', key: Buffer.from('a'), kind: 'put/put' } }));
    assert.equal(validators.conflictsRequest(ok), undefined);
    assert.match(String(validators.conflictsRequest(decode(new Uint8Array()))), /no listing request/);
    assert.match(String(validators.conflictsRequest(decode(conflictsCodecs.conflictsRequest.encode({ list: { limit: '-1' } })))), /limit/);
    assert.match(String(validators.conflictsRequest(decode(conflictsCodecs.conflictsRequest.encode({ list: { kind: 'del/del' } })))), /kind/);
  });
});
