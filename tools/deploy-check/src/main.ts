// `node tools/deploy-check/dist/main.js`: checks deploy/ (images, compose,
// Kubernetes, systemd) against the built apps; exits 1 if any check fails.
// `--sync-k8s-nats-config` first copies deploy/nats-server.conf into the
// Kubernetes ConfigMap (after the permissions change).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployChecks } from './checks.js';
import { withNatsConfig } from './k8s-check.js';
import { repoRoot } from './repo-root.js';

const args = process.argv.slice(2);
if (args.some((a) => a !== '--sync-k8s-nats-config')) {
  process.stderr.write('usage: deploy-check [--sync-k8s-nats-config]\n');
  process.exit(2);
}
if (args.length > 0) {
  const manifest = join(repoRoot, 'deploy/k8s/nats.yaml');
  writeFileSync(manifest, withNatsConfig(readFileSync(manifest, 'utf8'), readFileSync(join(repoRoot, 'deploy/nats-server.conf'), 'utf8')));
}
let failed = 0;
for (const check of deployChecks(repoRoot)) {
  const problems = await check.run();
  failed += problems.length > 0 ? 1 : 0;
  process.stdout.write(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${check.name}\n${problems.map((p) => `     - ${p}\n`).join('')}`);
}
process.exit(failed > 0 ? 1 : 0);
