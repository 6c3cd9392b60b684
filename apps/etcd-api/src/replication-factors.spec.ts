import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import { FactorMetadataError, factorsOfMetadata } from './replication-factors.js';

function metadata(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

describe('replication factors in gRPC metadata', () => {
  test('none, one or both keys', () => {
    assert.deepEqual(factorsOfMetadata(metadata({})), {});
    assert.deepEqual(factorsOfMetadata(metadata({ 'eckd-external-factor': '2' })), { external: 2 });
    assert.deepEqual(factorsOfMetadata(metadata({ 'eckd-internal-factor': '3', 'eckd-external-factor': '0' })), { internal: 3, external: 0 });
  });

  test('anything but a whole number in range is refused, naming the key', () => {
    for (const [key, raw] of [
      ['eckd-external-factor', '-1'],
      ['eckd-external-factor', '1.5'],
      ['eckd-external-factor', 'two'],
      ['eckd-external-factor', ''],
      ['eckd-internal-factor', '0'],
      ['eckd-internal-factor', '99999999999'],
    ] as const) {
      assert.throws(() => factorsOfMetadata(metadata({ [key]: raw })), (err: Error) => err instanceof FactorMetadataError && err.message.includes(key), `${key}=${raw}`);
    }
  });
});
