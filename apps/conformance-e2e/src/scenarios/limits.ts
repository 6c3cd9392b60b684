// Request size limits: etcd refuses requests above --max-request-bytes
// (1.5 MiB) and gRPC refuses messages above 2 MiB (docs/ETCD-BEHAVIOUR.md §1.2, §8.11).
import { bytes, fails, ok, op, put, range, txn } from '../harness/dsl.js';
import type { ScenarioGroup } from '../harness/scenario.js';

const maxRequestBytes = 1_572_864;
// A value this much smaller fits with the key and the request framing.
const fitsBytes = maxRequestBytes - 100;
// etcd measures the serialized internal raft request: for a Put of a 6-byte
// key that is the value + 29 bytes, or + 30 when the request id takes a
// 10-byte varint (it depends on the member id). Measured on 3.4.23: the
// largest value accepted with a 6-byte key is 1,572,835 (Put) and
// 1,572,827 (Txn with one Put), +-1 byte. The scenarios stay 2 bytes away.
const putValueMaxBytes = 1_572_835;
const txnPutValueMaxBytes = 1_572_827;

export const limitScenarios: ScenarioGroup = {
  area: 'Request size',
  scenarios: [
    {
      name: 'put of a 1.5 MiB value is too large',
      ref: '§1.2 §8.11',
      steps: [fails(put('li01/a', bytes(maxRequestBytes)), 'RequestTooLarge'), ok(range('li01/a'), { count: '0' })],
    },
    {
      name: 'put of a value slightly below 1.5 MiB',
      ref: '§1.2 §8.11',
      steps: [ok(put('li02/a', bytes(fitsBytes))), ok(range('li02/a'), { count: '1' })],
    },
    {
      name: 'txn with a 1.5 MiB value is too large',
      ref: '§1.2',
      steps: [fails(txn({ success: [op.put('li03/a', bytes(maxRequestBytes))] }), 'RequestTooLarge')],
    },
    {
      name: 'txn whose puts add up to more than 1.5 MiB',
      ref: '§1.2',
      steps: [fails(txn({ success: [op.put('li04/a', bytes(800_000)), op.put('li04/b', bytes(800_000))] }), 'RequestTooLarge')],
    },
    {
      name: 'put 2 bytes below the exact limit',
      ref: '§1.2',
      steps: [ok(put('li07/k', bytes(putValueMaxBytes - 2)))],
    },
    {
      name: 'put 2 bytes above the exact limit',
      ref: '§1.2',
      steps: [fails(put('li08/k', bytes(putValueMaxBytes + 2)), 'RequestTooLarge')],
    },
    {
      name: 'txn put 2 bytes below the exact limit',
      ref: '§1.2',
      steps: [ok(txn({ success: [op.put('li09/k', bytes(txnPutValueMaxBytes - 2))] }))],
    },
    {
      name: 'txn put 2 bytes above the exact limit',
      ref: '§1.2',
      steps: [fails(txn({ success: [op.put('li10/k', bytes(txnPutValueMaxBytes + 2))] }), 'RequestTooLarge')],
    },
    {
      name: 'a message above 2 MiB is refused by gRPC (same code, the gRPC library words it)',
      ref: '§1.2 §8.11',
      steps: [
        put('li05/a', bytes(2_200_000), {}, {
          differs: {
            ref: '§1.2 gRPC MaxRecvMsgSize: grpc-go and grpc-js word the transport error differently',
            etcd: { error: { code: 8, details: 'grpc: received message larger than max (2200013 vs. 2097152)' } },
            eckd: { error: { code: 8, details: 'Received message larger than max (2200013 vs 2097152)' } },
          },
        }),
      ],
    },
    {
      name: 'a range answer above 2 MiB',
      ref: '§1.2',
      steps: [put('li06/a', bytes(fitsBytes, 'a')), put('li06/b', bytes(fitsBytes, 'b')), ok(range('li06/', { range_end: 'li060' }), { count: '2' })],
    },
  ],
};
