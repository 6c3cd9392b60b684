import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemberRecord } from '@eckd/automerge-doc';
import { createLogger } from '@eckd/service-kit';
import { LiveFrontends, memberList } from './members.js';

const log = createLogger('members-spec');
const config = { frontendExpiryMs: 1_000, frontendsMax: 2 };
const announce = (frontend_id: string, ...client_urls: string[]) => ({ frontend_id, client_urls, name: 'n1' });

describe('LiveFrontends', () => {
  test('the union of live frontends client URLs, sorted; a change is reported once', () => {
    const f = new LiveFrontends(config, log);
    assert.equal(f.heard(announce('b', 'http://h:2'), 0), true);
    assert.equal(f.heard(announce('a', 'http://h:1', 'http://h:2'), 10), true);
    assert.equal(f.heard(announce('a', 'http://h:1', 'http://h:2'), 20), false);
    assert.deepEqual(f.clientUrls(20), ['http://h:1', 'http://h:2']);
  });

  test('a frontend not heard within the expiry leaves', () => {
    const f = new LiveFrontends(config, log);
    f.heard(announce('a', 'http://h:1'), 0);
    f.heard(announce('b', 'http://h:2'), 600);
    assert.equal(f.expire(1_100), true);
    assert.deepEqual(f.clientUrls(1_100), ['http://h:2']);
    assert.equal(f.expire(1_200), false);
  });

  test('frontends beyond ECKD_FRONTENDS_MAX are ignored', () => {
    const f = new LiveFrontends(config, log);
    f.heard(announce('a', 'http://h:1'), 0);
    f.heard(announce('b', 'http://h:2'), 0);
    assert.equal(f.heard(announce('c', 'http://h:3'), 0), false);
    assert.deepEqual(f.clientUrls(0), ['http://h:1', 'http://h:2']);
  });
});

describe('memberList', () => {
  const record = (name: string, clientUrls: string[], removed = false): MemberRecord => ({ name, band: 0, clientUrls, peerUrls: [], learner: false, removed });

  test('a single node: itself with its frontends client URLs, no peer URLs', () => {
    assert.deepEqual(memberList({ self: { id: '17', name: 'n1' }, initialMembers: [], memberTable: () => [] }, ['http://h:1']), [
      { ID: '17', name: 'n1', peerURLs: [], clientURLs: ['http://h:1'], isLearner: false },
    ]);
  });

  test('with peers: initial members, records replicated from the table, removed ones left out, own URLs fresh', () => {
    const listed = memberList(
      {
        self: { id: '1', name: 'n1' },
        initialMembers: [
          { id: '1', name: 'n1' },
          { id: '2', name: 'n2' },
          { id: '3', name: 'n3' },
        ],
        memberTable: () => [
          { id: '0000000000000001', record: record('n1', ['http://old:1']) },
          { id: '0000000000000002', record: record('n2', ['http://h:2']) },
          { id: '0000000000000003', record: record('n3', [], true) },
        ],
      },
      ['http://h:1'],
    );
    assert.deepEqual(
      listed.map((m) => `${m.ID} ${m.name} ${m.clientURLs.join(',')}`),
      ['1 n1 http://h:1', '2 n2 http://h:2'],
    );
  });
});
