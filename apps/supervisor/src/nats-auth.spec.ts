import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsServiceKinds, nodePermissions, nodeSubjects } from '@eckd/change-codec';
import { generateNatsUsers, natsUserEnv, writeEmbeddedNatsConfig } from './nats-auth.js';
import { findExecutable } from './nats.js';
import { nodeAppSpecs } from './node-apps.js';
import { parseConfig } from './config.js';

const scope = { prefix: 'eckd', node: 'n1' };

describe('nats-auth', () => {
  test('nats-auth - one user per service kind, fresh strong passwords, its own inbox prefix', () => {
    const users = generateNatsUsers(scope);
    const again = generateNatsUsers(scope);
    for (const kind of natsServiceKinds) {
      assert.equal(users[kind].user, kind);
      assert.ok(users[kind].password.length >= 32, kind);
      assert.notEqual(users[kind].password, again[kind].password, 'new passwords on every start');
      assert.equal(users[kind].inboxPrefix, `_INBOX.${kind}`);
    }
  });

  test('nats-auth - the embedded config has the users, their passwords and their permissions; owner-only; nats-server accepts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eckd-nats-auth-'));
    try {
      const users = generateNatsUsers(scope);
      const path = writeEmbeddedNatsConfig(dir, scope, users);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const text = readFileSync(path, 'utf8');
      const permissions = nodePermissions(nodeSubjects(scope));
      for (const kind of natsServiceKinds) {
        const block = text.slice(text.indexOf(`user: "${kind}"`));
        assert.match(block, new RegExp(`^user: "${kind}"\\n\\s+password: "${users[kind].password}"`));
        const allow = (what: string) => JSON.parse(block.match(new RegExp(`${what}: \\{ allow: (\\[.*\\]) \\}`))![1]!) as string[];
        assert.deepEqual(allow('publish'), permissions[kind].publish, kind);
        assert.deepEqual(allow('subscribe'), permissions[kind].subscribe, kind);
      }
      assert.doesNotMatch(text, /no_auth_user/, 'no anonymous user');
      const binary = findExecutable('nats-server', process.env['PATH']);
      if (binary !== undefined) execFileSync(binary, ['-c', path, '-t'], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nats-auth - each app gets its own user; other credentials are cleared; an external NATS keeps the env', () => {
    const config = parseConfig({ ECKD_NODE_NAME: 'n1' }, '/repo');
    const users = generateNatsUsers(scope);
    const baseEnv = { NATS_TOKEN: 'from-the-env', PATH: '/bin' };
    const apps = nodeAppSpecs({ config, natsUrl: config.natsUrl, databaseUrl: 'postgres://db', nodeExecutable: 'node', baseEnv, natsUsers: users });
    const envOf = (spec: { env: Readonly<Record<string, string | undefined>> }) => spec.env;
    assert.equal(envOf(apps.persister)['NATS_USER'], 'persister');
    assert.equal(envOf(apps.persister)['NATS_PASSWORD'], users.persister.password);
    assert.equal(envOf(apps.compactor)['NATS_USER'], 'compactor');
    assert.equal(envOf(apps.backend)['NATS_INBOX_PREFIX'], '_INBOX.backend');
    assert.equal(envOf(apps.frontends[0]!)['NATS_USER'], 'etcd-api');
    assert.equal(envOf(apps.frontends[0]!)['NATS_TOKEN'], undefined);
    assert.deepEqual(natsUserEnv(users.backend)['NATS_CREDS'], undefined);
    const external = nodeAppSpecs({ config, natsUrl: config.natsUrl, databaseUrl: 'postgres://db', nodeExecutable: 'node', baseEnv });
    assert.equal(envOf(external.backend)['NATS_TOKEN'], 'from-the-env');
    assert.equal(envOf(external.backend)['NATS_USER'], undefined);
  });
});
