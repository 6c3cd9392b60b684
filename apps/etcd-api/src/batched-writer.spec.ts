import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { GrpcServerMetrics } from './grpc-metrics.js';
import { responseWriter } from './batched-writer.js';
import type { StreamResponse } from './batched-writer.js';

class FakeHttp2Stream extends EventEmitter {
  writes: Buffer[] = [];
  destroyed = false;
  closed = false;
  writableNeedDrain = false;
  writableLength = 0;
  write(chunk: Buffer): boolean {
    this.writes.push(chunk);
    return true;
  }
}

function grpcCall(stream: FakeHttp2Stream, events: string[]) {
  const call = Object.assign(new EventEmitter(), { call: { stream, maybeSendMetadata: () => events.push('metadata') } });
  return call as unknown as ServerDuplexStream<unknown, StreamResponse>;
}

const encode = (r: Record<string, unknown>) => Buffer.from(JSON.stringify(r));
const turn = () => new Promise((r) => setImmediate(r));

/** The messages of gRPC length-prefixed frames. */
function messagesOf(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; ) {
    assert.equal(bytes[at], 0, 'not compressed');
    const length = bytes.readUInt32BE(at + 1);
    out.push(bytes.subarray(at + 5, at + 5 + length).toString());
    at += 5 + length;
  }
  return out;
}

describe('batched response writer', () => {
  test('the responses of one event-loop turn go to the HTTP/2 stream as one write, after the headers', async () => {
    const stream = new FakeHttp2Stream();
    const events: string[] = [];
    const writer = responseWriter(grpcCall(stream, events), encode, 4 * 1024 * 1024, () => undefined);
    assert.equal(writer.write({ n: 1 }), true);
    assert.equal(writer.write(Buffer.from('pre-encoded')), true);
    writer.write({ n: 3 });
    assert.equal(stream.writes.length, 0, 'nothing is written synchronously');
    await turn();
    assert.equal(stream.writes.length, 1);
    assert.deepEqual(events, ['metadata']);
    assert.deepEqual(messagesOf(stream.writes[0]!), ['{"n":1}', 'pre-encoded', '{"n":3}']);
    writer.write({ n: 4 });
    writer.flush();
    assert.equal(stream.writes.length, 2, 'flush writes at once');
  });

  test('backed up only when the stream asks for a drain and the queue is past its bound; nothing is written to a closed stream', async () => {
    const stream = new FakeHttp2Stream();
    let drained = 0;
    const writer = responseWriter(grpcCall(stream, []), encode, 4 * 1024 * 1024, () => drained++);
    stream.writableNeedDrain = true;
    assert.equal(writer.write({ small: true }), true);
    stream.writableLength = 4 * 1024 * 1024;
    assert.equal(writer.write({ small: true }), false);
    stream.emit('drain');
    assert.equal(drained, 1);
    stream.closed = true;
    await turn();
    assert.equal(stream.writes.length, 0);
  });

  test("without grpc-js's internals, responses go through the call one by one", () => {
    const written: unknown[] = [];
    const call = Object.assign(new EventEmitter(), { writableLength: 0, write: (r: unknown) => (written.push(r), false) });
    const writer = responseWriter(call as unknown as ServerDuplexStream<unknown, StreamResponse>, encode, 4 * 1024 * 1024, () => undefined);
    assert.equal(writer.write({ n: 1 }), true, 'grpc-js says full after 16 messages; the stream counts as backed up only past its own bound');
    call.writableLength = 1024;
    assert.equal(writer.write({ n: 2 }), false);
    assert.deepEqual(written, [{ n: 1 }, { n: 2 }]);
  });
});

describe('batched response writer on a real grpc-js server', () => {
  const identity = (b: Buffer) => b;
  const service: grpc.ServiceDefinition = {
    stream: { path: '/eckd.test.Batch/Stream', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  };

  /** Serves one stream that answers a request with three responses in one turn; resolves with what the client got and whether they were batched. */
  async function roundTrip(interceptors: grpc.ServerInterceptor[]): Promise<{ batched: boolean; received: string[] }> {
    const server = new grpc.Server({ interceptors });
    let batched: boolean | undefined;
    server.addService(service, {
      stream: (call: ServerDuplexStream<unknown, StreamResponse>) => {
        const writer = responseWriter(call, encode, 4 * 1024 * 1024, () => undefined);
        batched = writer.batched;
        call.on('data', () => {
          for (const n of [1, 2, 3]) writer.write({ n });
          writer.flush();
          call.end();
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const Client = grpc.makeGenericClientConstructor(service, 'Batch');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = (client as unknown as { stream(): grpc.ClientDuplexStream<Buffer, Buffer> }).stream();
        stream.on('data', (b: Buffer) => received.push(b.toString()));
        stream.on('error', reject);
        stream.on('end', resolve);
        stream.write(Buffer.from('go'));
        stream.end();
      });
      return { batched: batched ?? false, received };
    } finally {
      client.close();
      server.forceShutdown();
    }
  }

  test('with the server metrics interceptor in front of the call, responses are still batched onto the HTTP/2 stream', async () => {
    const got = await roundTrip([new GrpcServerMetrics().interceptor]);
    assert.equal(got.batched, true, 'the writer found the HTTP/2 stream under the interceptor (else watch fan-out goes one write per event)');
    assert.deepEqual(got.received, ['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  test('without interceptors the same', async () => {
    const got = await roundTrip([]);
    assert.equal(got.batched, true);
    assert.deepEqual(got.received, ['{"n":1}', '{"n":2}', '{"n":3}']);
  });
});
