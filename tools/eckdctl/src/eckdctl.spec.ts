import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConflictListResponse__Output } from '@eckd/etcd-proto';
import { conflictsJson, conflictsTable } from './format.js';
import { defaultCommandTimeoutMs, defaultEndpoint, parseOptions } from './options.js';

describe('eckdctl options', () => {
  test('conflicts with etcdctl defaults', () => {
    assert.deepEqual(parseOptions(['conflicts']), {
      command: 'conflicts',
      endpoints: [defaultEndpoint],
      limit: 0,
      key: '',
      kind: '',
      output: 'table',
      commandTimeoutMs: defaultCommandTimeoutMs,
    });
  });

  test('flags with a separate or an inline value; endpoints lose their scheme', () => {
    const options = parseOptions(['conflicts', '--endpoints=http://127.0.0.1:1,127.0.0.1:2', '--limit', '3', '--key', 'k', '--kind=put/delete', '-w', 'json']);
    assert.deepEqual(options.endpoints, ['127.0.0.1:1', '127.0.0.1:2']);
    assert.equal(options.limit, 3);
    assert.equal(options.key, 'k');
    assert.equal(options.kind, 'put/delete');
    assert.equal(options.output, 'json');
  });

  test('refuses what it does not know', () => {
    assert.throws(() => parseOptions([]), /usage/);
    assert.throws(() => parseOptions(['members']), /unknown command/);
    assert.throws(() => parseOptions(['conflicts', '--limit', '-1']), /whole number/);
    assert.throws(() => parseOptions(['conflicts', '-w', 'yaml']), /table or json/);
    assert.throws(() => parseOptions(['conflicts', '--key']), /needs a value/);
  });
});

describe('eckdctl output', () => {
  const response: ConflictListResponse__Output = {
    header: { cluster_id: '1', member_id: '2', revision: '9', raft_term: '1' },
    conflicts: [
      {
        key: Buffer.from('k'),
        kind: 'put/put',
        winner: { member_id: '255', origin_revision: '4', tag: '1000' },
        loser: { member_id: '16', origin_revision: '3', tag: '999' },
        detected_revision: '7',
        detected_at_unix_ms: '0',
      },
    ],
    total_by_kind: { 'put/put': '1', 'put/delete': '0' },
  };

  test('a table with member ids in hex and the totals', () => {
    const lines = conflictsTable(response).trimEnd().split('\n');
    assert.match(lines[1]!, /^\| KEY \| KIND +\| WINNER \| WINNER REV \| LOSER \| LOSER REV \| DETECTED REV \| DETECTED AT +\|$/);
    assert.match(lines[3]!, /^\| k +\| put\/put \| ff +\| 4 +\| 10 +\| 3 +\| 7 +\| 1970-01-01T00:00:00.000Z \|$/);
    assert.equal(lines.at(-1), 'total by kind: put/delete=0 put/put=1');
  });

  test('JSON with keys in base64, as etcdctl -w json', () => {
    const json = JSON.parse(conflictsJson(response)) as { conflicts: { key: string; winner: { member_id: string } }[] };
    assert.equal(json.conflicts[0]!.key, Buffer.from('k').toString('base64'));
    assert.equal(json.conflicts[0]!.winner.member_id, '255');
  });
});
