import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs } from '@eckd/change-codec';
import { rpcErrorOf } from '@eckd/etcd-proto';
import { createLogger } from '@eckd/service-kit';
import type { Message } from '@eckd/service-kit';
import type { ApplyLoop } from './apply-loop.js';
import { handlePropose } from './handlers.js';

describe('propose endpoint', () => {
  test('an unreadable proposal is refused with an error etcd has: NotCapable', () => {
    const replies: Uint8Array[] = [];
    const msg: Message = { subject: 'propose', data: Buffer.from([0x12, 0xff, 0xff]), reply: 'inbox', header: () => undefined, respond: (p) => void replies.push(p) };
    const loop = { enqueue: () => assert.fail('an unreadable proposal must not be queued') } as unknown as ApplyLoop;
    handlePropose(loop, createLogger('backend', { level: 'error' }))(msg);
    const reply = codecs.proposeReply.decode(replies[0]!);
    assert.equal(reply.error?.name, 'NotCapable');
    // What etcd-api's toGrpcError makes of it: etcd's code and exact text (it was UNKNOWN for 'InvalidArgument').
    assert.equal(rpcErrorOf(reply.error.name)?.message, 'etcdserver: not capable');
    assert.equal(rpcErrorOf(reply.error.name)?.code, 9); // FAILED_PRECONDITION
  });
});
