// deploy/ checked against the built apps (npm test builds first), and each
// check shown to catch what it is for.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployChecks } from './checks.js';
import { checkCompose } from './compose-check.js';
import { checkDockerfile } from './docker-check.js';
import { checkManifests, withNatsConfig } from './k8s-check.js';
import { productionTree } from './production-tree.js';
import { repoRoot } from './repo-root.js';
import { checkUnit } from './systemd-check.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const runtimeLibs = ['libs/change-codec', 'libs/etcd-proto'];

describe('deploy/ as committed', () => {
  for (const check of deployChecks(repoRoot)) {
    test(check.name, { timeout: 120_000 }, async () => {
      assert.deepEqual(await check.run(), []);
    });
  }
});

describe('each check catches what it is for', () => {
  test('an image that runs as root, has no health check or leaves out the .proto files', () => {
    const dockerfile = read('deploy/docker/backend.Dockerfile');
    const broken = dockerfile
      .replace(/^USER node$/m, '')
      .replace(/^HEALTHCHECK[\s\S]*?\n(?=STOPSIGNAL)/m, '')
      .replace(/^COPY --from=build \/src\/libs\/etcd-proto\/proto\/.*$/m, '');
    const { problems } = checkDockerfile(broken, 'backend', runtimeLibs);
    assert.deepEqual(problems, [
      'runs as root (no USER in the final stage)',
      'does not copy libs/etcd-proto/proto into the image',
      'has no HEALTHCHECK on http://127.0.0.1:2382/readyz',
    ]);
    assert.deepEqual(checkDockerfile(dockerfile.replaceAll('node:22-bookworm-slim', 'node:18-bookworm-slim'), 'backend', runtimeLibs).problems.length, 3, 'each stage on an old Node');
  });

  test('a production install is read from the lockfile: dev dependencies are not in it', () => {
    const tree = productionTree(repoRoot, 'apps/etcd-api');
    assert.equal(tree.resolve('@grpc/proto-loader', 'apps/etcd-api/dist'), 'apps/etcd-api/node_modules/@grpc/proto-loader');
    assert.equal(tree.resolve('@grpc/grpc-js', 'apps/etcd-api/dist'), 'node_modules/@grpc/grpc-js');
    assert.equal(tree.resolve('@eckd/etcd-proto', 'apps/etcd-api/dist'), 'libs/etcd-proto');
    for (const dev of ['tsx', 'etcd3', 'pg', '@automerge/automerge']) assert.equal(tree.resolve(dev, 'apps/etcd-api/dist'), undefined, dev);
  });

  test('compose: an app that does not wait for what it needs, or has no health check', () => {
    const compose = read('deploy/compose.yaml').replace('      backend: { condition: service_healthy }\n', '').replace(/( {2}persister:[\s\S]*?)healthcheck: &app-healthcheck/, '$1x-healthcheck: &app-healthcheck');
    assert.deepEqual(checkCompose(compose, join(repoRoot, 'deploy'), read('deploy/nats-server.conf')).sort(), [
      'compose.yaml: etcd-api does not wait for backend (service_healthy)',
      'compose.yaml: persister has no healthcheck',
      "compose.yaml: persister's healthcheck does not ask /readyz on 2383",
    ]);
  });

  test('a NATS user whose password the server is not given', () => {
    const config = read('deploy/nats-server.conf').replace('password: $ECKD_NATS_COMPACTOR_PASSWORD', 'password: $ECKD_NATS_AUDITOR_PASSWORD').replace('user: "compactor"', 'user: "auditor"');
    assert.deepEqual(checkCompose(read('deploy/compose.yaml'), join(repoRoot, 'deploy'), config), [
      'compose.yaml: the NATS server is not given ECKD_NATS_AUDITOR_PASSWORD',
      'nats-server.conf has user auditor, which no recipe runs',
    ]);
  });

  test('k8s: two backends, a missing probe, a stale NATS config', () => {
    const files = ['backend.yaml', 'nats.yaml'].map((name) => ({ name, text: read(`deploy/k8s/${name}`) }));
    files[0] = { name: 'backend.yaml', text: files[0]!.text.replace('replicas: 1', 'replicas: 2').replace('readinessProbe:', 'notAProbe:') };
    const problems = checkManifests(files, `${read('deploy/nats-server.conf')}# changed\n`);
    assert.ok(problems.includes('k8s: backend has no readinessProbe on /readyz of its ops port'), problems.join('\n'));
    assert.ok(problems.includes('k8s: the backend is not a StatefulSet of one replica'));
    assert.ok(problems.some((p) => p.startsWith('k8s: the NATS ConfigMap differs')));
    assert.ok(problems.includes('k8s: no Deployment or StatefulSet named etcd-api'));
  });

  test('k8s: the NATS ConfigMap is rewritten from deploy/nats-server.conf', () => {
    const manifest = read('deploy/k8s/nats.yaml');
    const config = read('deploy/nats-server.conf');
    assert.equal(withNatsConfig(manifest, config), manifest);
    const changed = `${config}# changed\n`;
    assert.deepEqual(checkManifests([{ name: 'nats.yaml', text: withNatsConfig(manifest, changed) }], changed).filter((p) => p.includes('NATS')), []);
  });

  test('systemd: a unit that does not restart, runs as root or is not hardened', () => {
    const unit = read('deploy/systemd/eckd-persister.service').replace(/^Restart=.*$/m, '').replace('User=eckd', 'User=root').replace(/^ProtectSystem=.*$/m, '');
    assert.deepEqual(checkUnit('persister', unit), ['eckd-persister.service has no Restart=', 'eckd-persister.service runs as root', 'eckd-persister.service lacks ProtectSystem=strict']);
  });
});
