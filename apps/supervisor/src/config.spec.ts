import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, clientUrls, defaultClientPort, describeConfig, opsPorts, parseConfig } from './config.js';

const root = '/repo';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env, root);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  test('config - defaults', () => {
    const config = parseConfig({}, root);
    assert.deepEqual(config, {
      natsUrl: 'nats://127.0.0.1:4222',
      databaseUrl: undefined,
      dataDir: '/repo/data',
      subjectPrefix: 'eckd',
      clientHost: '127.0.0.1',
      clientScheme: 'http',
      frontendAuthFlags: [],
      appsDir: '/repo/apps',
      nodes: 1,
      metricsPortOffset: 2000,
      members: [
        {
          nodeName: 'default',
          label: '',
          dataDir: '/repo/data',
          natsUrl: 'nats://127.0.0.1:4222',
          natsClusterPort: undefined,
          databaseUrl: undefined,
          clientPorts: [2379],
        },
      ],
      join: undefined,
    });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.members[0]!.clientPorts));
    assert.deepEqual(clientUrls(config, config.members[0]!.clientPorts), ['http://127.0.0.1:2379']);
  });

  test('config - frontends follow etcd local ports 2379, 22379, 32379', () => {
    const config = parseConfig({ ECKD_FRONTENDS: '3' }, root);
    assert.deepEqual(config.members[0]!.clientPorts, [2379, 22379, 32379]);
    assert.equal(defaultClientPort(5), 62379);
    assert.match(problemsOf({ ECKD_FRONTENDS: '7' })[0]!, /ECKD_CLIENT_PORTS/);
  });

  test('config - explicit values', () => {
    const config = parseConfig(
      {
        NATS_URL: 'nats://10.0.0.1:4333',
        DATABASE_URL: 'postgres://u:secret@db:5432/eckd',
        ECKD_DATA_DIR: '/var/lib/eckd',
        ECKD_NODE_NAME: 'node-a',
        ECKD_SUBJECT_PREFIX: 'eckd_test',
        ECKD_CLIENT_HOST: '::1',
        ECKD_CLIENT_PORTS: '2379, 12379',
      },
      root,
    );
    assert.equal(config.dataDir, '/var/lib/eckd');
    assert.equal(config.members[0]!.nodeName, 'node-a');
    assert.deepEqual(config.members[0]!.clientPorts, [2379, 12379]);
    assert.deepEqual(clientUrls(config, config.members[0]!.clientPorts), ['http://[::1]:2379', 'http://[::1]:12379']);
    // ECKD_CERT_FILE (read by the frontends with the other TLS variables) makes the client URLs https.
    const tls = parseConfig({ ECKD_CERT_FILE: '/etc/eckd/server.crt' }, root);
    assert.deepEqual(clientUrls(tls, tls.members[0]!.clientPorts), ['https://127.0.0.1:2379']);
    const described = describeConfig(config);
    assert.equal(described['databaseUrl'], 'postgres://u:***@db:5432/eckd');
    assert.equal(describeConfig(parseConfig({}, root))['databaseUrl'], 'embedded');
  });

  test('config - relative data dir is taken from the repo root; empty values mean default', () => {
    const config = parseConfig({ ECKD_DATA_DIR: 'var/x', DATABASE_URL: '  ', ECKD_FRONTENDS: '' }, root);
    assert.equal(config.dataDir, '/repo/var/x');
    assert.equal(config.databaseUrl, undefined);
    assert.deepEqual(config.members[0]!.clientPorts, [2379]);
  });

  test("config - etcd's --data-dir over ECKD_DATA_DIR (either form, relative to the repo root); an unknown flag is a problem", () => {
    assert.equal(parseConfig({ ECKD_DATA_DIR: '/var/env' }, root, ['--data-dir', '/var/flag']).dataDir, '/var/flag');
    assert.equal(parseConfig({}, root, ['--data-dir=var/y']).dataDir, '/repo/var/y');
    assert.equal(parseConfig({ ECKD_DATA_DIR: '/var/env' }, root, []).dataDir, '/var/env');
    assert.throws(
      () => parseConfig({ ECKD_FRONTENDS: '0' }, root, ['--bogus']),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && err.problems[0] === 'unknown flag --bogus',
    );
    assert.throws(() => parseConfig({}, root, ['--data-dir']), (err: unknown) => err instanceof ConfigError && err.problems[0] === 'flag needs an argument: --data-dir');
  });

  test('config - bad values are all reported', () => {
    const problems = problemsOf({
      NATS_URL: 'http://x:1',
      DATABASE_URL: 'not a url',
      ECKD_NODE_NAME: 'has space',
      ECKD_SUBJECT_PREFIX: 'a.b',
      ECKD_FRONTENDS: '0',
    });
    assert.equal(problems.length, 5);
    assert.match(problems.join('\n'), /NATS_URL must use nats:\/\//);
    assert.match(problems.join('\n'), /DATABASE_URL is not a URL/);
    assert.match(problems.join('\n'), /ECKD_FRONTENDS must be a whole number/);
  });

  test('config - client ports are checked', () => {
    assert.match(problemsOf({ ECKD_CLIENT_PORTS: '2379,x' })[0]!, /comma-separated list of ports/);
    assert.match(problemsOf({ ECKD_CLIENT_PORTS: '70000' })[0]!, /comma-separated/);
    assert.match(problemsOf({ ECKD_CLIENT_PORTS: '2379,2379' })[0]!, /twice/);
    assert.match(problemsOf({ ECKD_FRONTENDS: '2', ECKD_CLIENT_PORTS: '2379' })[0]!, /lists 1 ports/);
    assert.deepEqual(parseConfig({ ECKD_FRONTENDS: '2', ECKD_CLIENT_PORTS: '1,2' }, root).members[0]!.clientPorts, [1, 2]);
    assert.match(problemsOf({ ECKD_FRONTENDS: '1.5' })[0]!, /whole number/);
  });

  test('config - ECKD_NODES=3: members node1..node3 on etcd local ports, NATS 4222/14222/24222, routes 6222/16222/26222, data dirs', () => {
    const config = parseConfig({ ECKD_NODES: '3' }, root);
    assert.equal(config.nodes, 3);
    assert.deepEqual(
      config.members.map((m) => [m.nodeName, m.label, m.dataDir, m.natsUrl, m.natsClusterPort, m.databaseUrl, m.clientPorts]),
      [
        ['node1', 'node1', '/repo/data/node1', 'nats://127.0.0.1:4222', 6222, undefined, [2379]],
        ['node2', 'node2', '/repo/data/node2', 'nats://127.0.0.1:14222', 16222, undefined, [22379]],
        ['node3', 'node3', '/repo/data/node3', 'nats://127.0.0.1:24222', 26222, undefined, [32379]],
      ],
    );
    assert.ok(Object.isFrozen(config.members[2]!));
    // Past three members the same rule: 42379, 52379, 62379; a member's further frontends take the ports above its first.
    const six = parseConfig({ ECKD_NODES: '6', ECKD_FRONTENDS: '2', NATS_URL: 'nats://localhost:5000' }, root);
    assert.deepEqual(six.members.map((m) => m.clientPorts), [[2379, 2380], [22379, 22380], [32379, 32380], [42379, 42380], [52379, 52380], [62379, 62380]]);
    assert.deepEqual(six.members.map((m) => m.natsUrl).slice(0, 2), ['nats://localhost:5000', 'nats://localhost:15000']);
    assert.equal(parseConfig({ ECKD_NODES: '1' }, root).members[0]!.nodeName, 'default');
  });

  test('config - ECKD_NODES is checked: 1..9, default ports end at 6 members, no ECKD_NODE_NAME', () => {
    for (const bad of ['0', '10', 'x', '2.5', '-1']) assert.match(problemsOf({ ECKD_NODES: bad })[0]!, /ECKD_NODES must be a whole number from 1 to 9/, bad);
    assert.match(problemsOf({ ECKD_NODES: '7' }).join('\n'), /ECKD_NODES=7 runs past port 65535 with the default ports; set ECKD_CLIENT_PORTS/);
    assert.match(problemsOf({ ECKD_NODES: '2', ECKD_NODE_NAME: 'a' })[0]!, /members of ECKD_NODES=2 are node1…node2/);
    assert.match(problemsOf({ ECKD_NATS_PORTS: '4222' })[0]!, /ECKD_NATS_PORTS is for a local cluster/);
    assert.match(problemsOf({ ECKD_NATS_CLUSTER_PORTS: '6222' })[0]!, /ECKD_NATS_CLUSTER_PORTS is for a local cluster/);
  });

  test('config - a local cluster on chosen ports (ECKD_CLIENT_PORTS member by member, ECKD_NATS_PORTS, ECKD_NATS_CLUSTER_PORTS)', () => {
    const env = { ECKD_NODES: '3', ECKD_CLIENT_PORTS: '1001,1002,2001,2002,3001,3002', ECKD_NATS_PORTS: '4001,4002,4003', ECKD_NATS_CLUSTER_PORTS: '5001,5002,5003' };
    const config = parseConfig(env, root);
    assert.deepEqual(config.members.map((m) => m.clientPorts), [[1001, 1002], [2001, 2002], [3001, 3002]]);
    assert.deepEqual(config.members.map((m) => m.natsUrl), ['nats://127.0.0.1:4001', 'nats://127.0.0.1:4002', 'nats://127.0.0.1:4003']);
    assert.deepEqual(config.members.map((m) => m.natsClusterPort), [5001, 5002, 5003]);
    // Nine members fit once the ports are given.
    const nine = (base: number) => Array.from({ length: 9 }, (_, i) => base + i).join(',');
    assert.equal(parseConfig({ ECKD_NODES: '9', ECKD_CLIENT_PORTS: nine(1000), ECKD_NATS_PORTS: nine(2000), ECKD_NATS_CLUSTER_PORTS: nine(3000) }, root).members.length, 9);
    assert.match(problemsOf({ ...env, ECKD_CLIENT_PORTS: '1,2,3,4' })[0]!, /not the same number for each of ECKD_NODES=3 members/);
    assert.match(problemsOf({ ...env, ECKD_FRONTENDS: '1' })[0]!, /expected 3 members × 1 frontends = 3/);
    assert.match(problemsOf({ ...env, ECKD_NATS_PORTS: '4001,4002' })[0]!, /ECKD_NATS_PORTS lists 2 ports for ECKD_NODES=3 members/);
    assert.match(problemsOf({ ...env, ECKD_NATS_CLUSTER_PORTS: '5001,5001,5002' })[0]!, /ECKD_NATS_CLUSTER_PORTS lists a port twice/);
    assert.match(problemsOf({ ...env, ECKD_NATS_PORTS: 'a,b,c' })[0]!, /ECKD_NATS_PORTS must be a comma-separated list of ports/);
  });

  test('config - a joining member (ECKD_INITIAL_CLUSTER_STATE=existing): node<i> laid out as member i of the local cluster, its join member as member j', () => {
    const joinEnv = { ECKD_INITIAL_CLUSTER_STATE: 'existing', ECKD_NODE_NAME: 'node4', ECKD_JOIN: 'node1', ECKD_PEER_URL: 'http://node4:2380' };
    const config = parseConfig({ ...joinEnv, DATABASE_URL: 'postgres://u@db/eckd' }, root);
    // One member, no ECKD_INITIAL_CLUSTER for its apps (nodes 1): the backend joins instead.
    assert.equal(config.nodes, 1);
    assert.deepEqual(
      config.members.map((m) => [m.nodeName, m.label, m.dataDir, m.natsUrl, m.natsClusterPort, m.databaseUrl, m.clientPorts]),
      [['node4', 'node4', '/repo/data/node4', 'nats://127.0.0.1:34222', 36222, 'postgres://u@db/eckd_node4', [42379]]],
    );
    assert.deepEqual([config.join?.nodeName, config.join?.dataDir, config.join?.natsClusterPort], ['node1', '/repo/data/node1', 6222]);
    // Chosen ports: each list names every member up to max(i, j); the joiner takes its own entries.
    const listed = parseConfig({ ...joinEnv, ECKD_NODE_NAME: 'node3', ECKD_CLIENT_PORTS: '1001,2001,3001', ECKD_NATS_PORTS: '4001,4002,4003', ECKD_NATS_CLUSTER_PORTS: '5001,5002,5003' }, root);
    assert.deepEqual([listed.members[0]!.clientPorts, listed.members[0]!.natsUrl, listed.members[0]!.natsClusterPort, listed.join?.natsClusterPort], [[3001], 'nats://127.0.0.1:4003', 5003, 5001]);
    assert.match(problemsOf({ ...joinEnv, ECKD_NODES: '3' }).join('\n'), /unset ECKD_NODES/);
    assert.match(problemsOf({ ...joinEnv, ECKD_NODE_NAME: 'node10' }).join('\n'), /ECKD_NODE_NAME=node<i>/);
    assert.match(problemsOf({ ...joinEnv, ECKD_JOIN: 'node4' }).join('\n'), /is the joining member itself/);
    assert.match(problemsOf({ ...joinEnv, ECKD_PEER_URL: '' }).join('\n'), /needs ECKD_PEER_URL/);
  });

  test('config - a local cluster on DATABASE_URL: one database per member, <db>_node<i>; an external NATS list is shared', () => {
    const config = parseConfig({ ECKD_NODES: '2', DATABASE_URL: 'postgres://u:secret@db:5432/eckd?sslmode=disable', NATS_URL: 'nats://a:4222,nats://b:4222' }, root);
    assert.deepEqual(config.members.map((m) => m.databaseUrl), [
      'postgres://u:secret@db:5432/eckd_node1?sslmode=disable',
      'postgres://u:secret@db:5432/eckd_node2?sslmode=disable',
    ]);
    assert.deepEqual(config.members.map((m) => m.natsUrl), ['nats://a:4222,nats://b:4222', 'nats://a:4222,nats://b:4222']);
    const described = describeConfig(config)['members'] as { databaseUrl: string }[];
    assert.equal(described[1]!.databaseUrl, 'postgres://u:***@db:5432/eckd_node2?sslmode=disable');
    // No database in the URL: libpq's default, the user's name.
    assert.equal(parseConfig({ ECKD_NODES: '2', DATABASE_URL: 'postgres://alice@db' }, root).members[0]!.databaseUrl, 'postgres://alice@db/alice_node1');
    assert.match(problemsOf({ ECKD_NODES: '2', DATABASE_URL: `postgres://db/${'x'.repeat(60)}` })[0]!, /too long for the member database/);
  });

  test('config - ops listeners: from the first client port + ECKD_METRICS_PORT_OFFSET (2000): backend, persister, compactor, frontends; 0 is none', () => {
    const one = parseConfig({ ECKD_FRONTENDS: '2' }, root);
    assert.deepEqual(opsPorts(one.members[0]!, one.metricsPortOffset), { backend: 4379, persister: 4380, compactor: 4381, frontends: [4382, 4383] });
    const three = parseConfig({ ECKD_NODES: '3' }, root);
    assert.deepEqual(three.members.map((m) => opsPorts(m, three.metricsPortOffset)?.backend), [4379, 24379, 34379]);
    const off = parseConfig({ ECKD_METRICS_PORT_OFFSET: '0' }, root);
    assert.equal(opsPorts(off.members[0]!, off.metricsPortOffset), undefined);
    assert.match(problemsOf({ ECKD_METRICS_PORT_OFFSET: '-1' })[0]!, /ECKD_METRICS_PORT_OFFSET must be a port offset/);
    assert.match(problemsOf({ ECKD_CLIENT_PORTS: '65000', ECKD_METRICS_PORT_OFFSET: '1000' })[0]!, /past port 65535/);
  });

  test('config - auth settings become the frontends\' etcd flags (--auth-token, --auth-token-ttl, --bcrypt-cost); bad numbers are refused', () => {
    assert.deepEqual(parseConfig({}, root).frontendAuthFlags, []);
    const set = parseConfig({ ECKD_AUTH_TOKEN: 'jwt,pub-key=/k.pub,sign-method=RS256', ECKD_AUTH_TOKEN_TTL: ' 600 ', ECKD_BCRYPT_COST: '12' }, root);
    assert.deepEqual(set.frontendAuthFlags, ['--auth-token', 'jwt,pub-key=/k.pub,sign-method=RS256', '--auth-token-ttl', '600', '--bcrypt-cost', '12']);
    assert.deepEqual(parseConfig({ ECKD_BCRYPT_COST: '4' }, root).frontendAuthFlags, ['--bcrypt-cost', '4']);
    assert.deepEqual(problemsOf({ ECKD_AUTH_TOKEN: 'opaque', ECKD_AUTH_TOKEN_TTL: '0', ECKD_BCRYPT_COST: '32' }), [
      'ECKD_AUTH_TOKEN must be simple or jwt,<options> (etcd\'s --auth-token), got "opaque"',
      'ECKD_AUTH_TOKEN_TTL must be a whole number of seconds from 1 (etcd\'s --auth-token-ttl), got "0"',
      'ECKD_BCRYPT_COST must be a whole number from 4 to 31 (etcd\'s --bcrypt-cost), got "32"',
    ]);
    assert.match(problemsOf({ ECKD_AUTH_TOKEN_TTL: '5m' })[0]!, /ECKD_AUTH_TOKEN_TTL must be a whole number/);
  });

  test('config - the error message lists the problems', () => {
    const error = new ConfigError(['a is bad', 'b is bad']);
    assert.equal(error.message, 'supervisor: invalid configuration:\n  - a is bad\n  - b is bad');
  });
});
