import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterSubjects, natsServiceKinds, nodePermissions, nodeSubjects } from '@eckd/change-codec';
import { generateNatsUsers, generateRoutePassword, natsUserEnv, readRoutePassword, writeEmbeddedNatsConfig } from './nats-auth.js';
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
      const permissions = nodePermissions(nodeSubjects(scope), clusterSubjects(scope.prefix));
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

  test('nats-auth - a joining member cannot route without a local cluster member\'s config: the reason names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eckd-nats-join-'));
    try {
      assert.throws(() => readRoutePassword(dir), /cannot read .*nats-server\.conf, the ECKD_JOIN member's NATS config/);
      writeEmbeddedNatsConfig(dir, { prefix: 'eckd', node: 'default' }, generateNatsUsers({ prefix: 'eckd', node: 'default' }));
      assert.throws(() => readRoutePassword(dir), /holds no route password/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nats-auth - a local cluster member\'s config: its server name, route listener and authenticated routes to the others; nats-server accepts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eckd-nats-routes-'));
    try {
      const password = generateRoutePassword();
      assert.ok(password.length >= 32);
      const routes = { clusterName: 'eckd', serverName: 'node2', listen: { host: '127.0.0.1', port: 16222 }, password, peers: [{ host: '127.0.0.1', port: 6222 }, { host: '::1', port: 26222 }] };
      const path = writeEmbeddedNatsConfig(dir, { prefix: 'eckd', node: 'node2' }, generateNatsUsers({ prefix: 'eckd', node: 'node2' }), routes);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const text = readFileSync(path, 'utf8');
      assert.match(text, /server_name: "node2"/);
      assert.match(text, /listen: "127\.0\.0\.1:16222"/);
      assert.match(text, /no_advertise: true/);
      assert.match(text, new RegExp(`authorization \\{ user: "route", password: "${password}" \\}`));
      assert.match(text, new RegExp(`routes: \\["nats-route://route:${password}@127\\.0\\.0\\.1:6222", "nats-route://route:${password}@\\[::1\\]:26222"\\]`));
      const binary = findExecutable('nats-server', process.env['PATH']);
      if (binary !== undefined) execFileSync(binary, ['-c', path, '-t'], { stdio: 'pipe' });
      // A joining member's supervisor routes with the password read back from this file.
      assert.equal(readRoutePassword(dir), password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nats-auth - each app gets its own user; other credentials are cleared; an external NATS keeps the env', () => {
    const config = parseConfig({ ECKD_NODE_NAME: 'n1' }, '/repo');
    const users = generateNatsUsers(scope);
    const baseEnv = { NATS_TOKEN: 'from-the-env', PATH: '/bin' };
    const member = config.members[0]!;
    const apps = nodeAppSpecs({ config, member, natsUrl: config.natsUrl, databaseUrl: 'postgres://db', nodeExecutable: 'node', baseEnv, natsUsers: users });
    const envOf = (spec: { env: Readonly<Record<string, string | undefined>> }) => spec.env;
    assert.equal(envOf(apps.persister)['NATS_USER'], 'persister');
    assert.equal(envOf(apps.persister)['NATS_PASSWORD'], users.persister.password);
    assert.equal(envOf(apps.compactor)['NATS_USER'], 'compactor');
    assert.equal(envOf(apps.backend)['NATS_INBOX_PREFIX'], '_INBOX.backend');
    assert.equal(envOf(apps.frontends[0]!)['NATS_USER'], 'etcd-api');
    assert.equal(envOf(apps.frontends[0]!)['NATS_TOKEN'], undefined);
    assert.deepEqual(natsUserEnv(users.backend)['NATS_CREDS'], undefined);
    const external = nodeAppSpecs({ config, member, natsUrl: config.natsUrl, databaseUrl: 'postgres://db', nodeExecutable: 'node', baseEnv });
    assert.equal(envOf(external.backend)['NATS_TOKEN'], 'from-the-env');
    assert.equal(envOf(external.backend)['NATS_USER'], undefined);
    assert.equal(envOf(apps.backend)['ECKD_INITIAL_CLUSTER'], undefined, 'a single node names no cluster');
  });

  test('nats-auth - in a local cluster each member\'s apps get its name, its NATS and ECKD_INITIAL_CLUSTER; frontends their member\'s ports', () => {
    const config = parseConfig({ ECKD_NODES: '3' }, '/repo');
    const member = config.members[1]!;
    const apps = nodeAppSpecs({ config, member, natsUrl: member.natsUrl, databaseUrl: 'postgres://db/eckd_node2', nodeExecutable: 'node', baseEnv: {}, natsUsers: generateNatsUsers({ prefix: 'eckd', node: 'node2' }) });
    for (const spec of [apps.persister, apps.compactor, apps.backend, ...apps.frontends]) {
      assert.equal(spec.env['ECKD_NODE_NAME'], 'node2');
      assert.equal(spec.env['ECKD_INITIAL_CLUSTER'], 'node1,node2,node3');
      assert.equal(spec.env['NATS_URL'], 'nats://127.0.0.1:14222');
    }
    assert.equal(apps.persister.env['DATABASE_URL'], 'postgres://db/eckd_node2');
    assert.deepEqual(apps.frontends[0]!.args.slice(-8), ['--name', 'node2', '--listen-client-urls', 'http://127.0.0.1:22379', '--advertise-client-urls', 'http://127.0.0.1:22379', '--listen-metrics-urls', 'http://127.0.0.1:24382']);
    assert.deepEqual(apps.backend.args.slice(-2), ['--listen-metrics-urls', 'http://127.0.0.1:24379']);
  });
});
