import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { natsAuthorizationConfig, natsServiceKinds, nodePermissions, replyInboxes } from './permissions.js';
import { nodeSubjects } from './subjects.js';

const subjects = nodeSubjects({ prefix: 'eckd', node: 'default' });
const permissions = nodePermissions(subjects);

describe('NATS permissions', () => {
  test('every subject of the node has exactly one subscribing kind and at least one publishing kind', () => {
    for (const subject of Object.values(subjects)) {
      const subscribers = natsServiceKinds.filter((kind) => permissions[kind].subscribe.includes(subject));
      const publishers = natsServiceKinds.filter((kind) => permissions[kind].publish.includes(subject));
      assert.equal(subscribers.length, 1, `${subject} subscribed by ${subscribers.join(',')}`);
      assert.ok(publishers.length >= 1, `${subject} published by nobody`);
      // The takeover announcement goes from a node's backend to the others
      // (docs/ARCHITECTURE.md §6a), a frontend's applied revision (§3) and the simple tokens it accepted (§5g) to the node's other frontends.
      if (subject !== subjects.takeover && subject !== subjects.frontendApplied && subject !== subjects.tokenUses) assert.ok(!publishers.includes(subscribers[0]!), `${subject}: a kind publishes what it serves`);
    }
  });

  test('requesters subscribe only to their own inbox; only responders publish to every inbox', () => {
    for (const kind of natsServiceKinds) {
      const { inboxPrefix, subscribe } = permissions[kind];
      assert.equal(inboxPrefix, `_INBOX.${kind}`);
      assert.ok(subscribe.every((s) => !s.startsWith('_INBOX') || s === `${inboxPrefix}.>`), kind);
      assert.ok(!subscribe.includes(replyInboxes), kind);
    }
    assert.ok(!permissions['etcd-api'].publish.includes(replyInboxes), 'a frontend answers no request');
  });

  test('deploy/nats-server.conf grants exactly this set (passwords from the server environment)', () => {
    const deployed = readFileSync(fileURLToPath(new URL('../../../deploy/nats-server.conf', import.meta.url)), 'utf8');
    const expected = natsAuthorizationConfig({
      subjectScope: { prefix: 'eckd', node: 'default' },
      passwords: {
        'etcd-api': { variable: 'ECKD_NATS_ETCD_API_PASSWORD' },
        backend: { variable: 'ECKD_NATS_BACKEND_PASSWORD' },
        persister: { variable: 'ECKD_NATS_PERSISTER_PASSWORD' },
        compactor: { variable: 'ECKD_NATS_COMPACTOR_PASSWORD' },
      },
    });
    assert.ok(deployed.endsWith(expected), 'regenerate deploy/nats-server.conf from natsAuthorizationConfig');
  });
});
