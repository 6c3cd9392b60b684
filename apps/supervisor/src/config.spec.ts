import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, clientUrls, defaultClientPort, describeConfig, parseConfig } from './config.js';

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
      nodeName: 'default',
      subjectPrefix: 'eckd',
      clientHost: '127.0.0.1',
      clientPorts: [2379],
      appsDir: '/repo/apps',
    });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.clientPorts));
    assert.deepEqual(clientUrls(config), ['http://127.0.0.1:2379']);
  });

  test('config - frontends follow etcd local ports 2379, 22379, 32379', () => {
    const config = parseConfig({ ECKD_FRONTENDS: '3' }, root);
    assert.deepEqual(config.clientPorts, [2379, 22379, 32379]);
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
        ECKD_SUBJECT_PREFIX: 'eckd.test',
        ECKD_CLIENT_HOST: '::1',
        ECKD_CLIENT_PORTS: '2379, 12379',
      },
      root,
    );
    assert.equal(config.dataDir, '/var/lib/eckd');
    assert.deepEqual(config.clientPorts, [2379, 12379]);
    assert.deepEqual(clientUrls(config), ['http://[::1]:2379', 'http://[::1]:12379']);
    const described = describeConfig(config);
    assert.equal(described['databaseUrl'], 'postgres://u:***@db:5432/eckd');
    assert.equal(describeConfig(parseConfig({}, root))['databaseUrl'], 'embedded');
  });

  test('config - relative data dir is taken from the repo root; empty values mean default', () => {
    const config = parseConfig({ ECKD_DATA_DIR: 'var/x', DATABASE_URL: '  ', ECKD_FRONTENDS: '' }, root);
    assert.equal(config.dataDir, '/repo/var/x');
    assert.equal(config.databaseUrl, undefined);
    assert.deepEqual(config.clientPorts, [2379]);
  });

  test('config - bad values are all reported', () => {
    const problems = problemsOf({
      NATS_URL: 'http://x:1',
      DATABASE_URL: 'not a url',
      ECKD_NODE_NAME: 'has space',
      ECKD_SUBJECT_PREFIX: 'a..b',
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
    assert.deepEqual(parseConfig({ ECKD_FRONTENDS: '2', ECKD_CLIENT_PORTS: '1,2' }, root).clientPorts, [1, 2]);
    assert.match(problemsOf({ ECKD_FRONTENDS: '1.5' })[0]!, /whole number/);
  });

  test('config - the error message lists the problems', () => {
    const error = new ConfigError(['a is bad', 'b is bad']);
    assert.equal(error.message, 'supervisor: invalid configuration:\n  - a is bad\n  - b is bad');
  });
});
