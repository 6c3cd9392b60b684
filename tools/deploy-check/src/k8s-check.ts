// deploy/k8s: every manifest parses; every app is a workload with the
// ops-port probes, Prometheus annotations and resource requests; the
// backend is a single-replica StatefulSet (never two at once); the
// frontends sit behind a Service on etcd's port; NATS gets the same
// permission config as deploy/nats-server.conf.
import { parseAllDocuments } from 'yaml';
import { clientPort, deployedApps, opsPorts } from './deployed-apps.js';
import { checkNatsServerEnv } from './nats-users.js';

type Yaml = Record<string, unknown>;
const asObject = (value: unknown): Yaml => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Yaml) : {});
const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, key) => asObject(v)[key], value);

export interface ManifestFile {
  readonly name: string;
  readonly text: string;
}

export function parseManifests(files: readonly ManifestFile[]): { objects: Yaml[]; problems: string[] } {
  const objects: Yaml[] = [];
  const problems: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(file.text)) {
      if (doc.errors.length > 0) problems.push(`k8s/${file.name}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = asObject(doc.toJS());
      if (Object.keys(object).length > 0) objects.push(object);
    }
  }
  return { objects, problems };
}

export function checkManifests(files: readonly ManifestFile[], natsConfig: string): string[] {
  const { objects, problems } = parseManifests(files);
  const find = (kind: string, name: string) => objects.find((o) => o['kind'] === kind && at(o, 'metadata', 'name') === name);
  for (const app of deployedApps) {
    const workload = find('Deployment', app) ?? find('StatefulSet', app);
    if (workload === undefined) {
      problems.push(`k8s: no Deployment or StatefulSet named ${app}`);
      continue;
    }
    const template = at(workload, 'spec', 'template');
    const annotations = asObject(at(template, 'metadata', 'annotations'));
    if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/port'] !== String(opsPorts[app])) problems.push(`k8s: ${app}'s pods lack prometheus.io/scrape and prometheus.io/port ${opsPorts[app]}`);
    const container = asObject((at(template, 'spec', 'containers') as unknown[] | undefined)?.[0]);
    const opsPort = ((container['ports'] as unknown[] | undefined) ?? []).map(asObject).find((p) => p['name'] === 'ops');
    if (opsPort?.['containerPort'] !== opsPorts[app]) problems.push(`k8s: ${app} has no container port "ops" ${opsPorts[app]}`);
    const env = ((container['env'] as unknown[] | undefined) ?? []).map(asObject);
    if (!env.some((e) => e['name'] === 'ECKD_LISTEN_METRICS_URLS' && String(e['value']).endsWith(`:${opsPorts[app]}`))) problems.push(`k8s: ${app} does not set ECKD_LISTEN_METRICS_URLS to port ${opsPorts[app]}`);
    if (!env.some((e) => e['name'] === 'NATS_USER' && e['value'] === app)) problems.push(`k8s: ${app} does not connect as NATS user ${app}`);
    for (const [probe, path] of [['livenessProbe', '/livez'], ['readinessProbe', '/readyz']] as const) {
      if (at(container, probe, 'httpGet', 'path') !== path || at(container, probe, 'httpGet', 'port') !== 'ops') problems.push(`k8s: ${app} has no ${probe} on ${path} of its ops port`);
    }
    if (Object.keys(asObject(at(container, 'resources', 'requests'))).length === 0) problems.push(`k8s: ${app} requests no resources`);
    if (at(container, 'securityContext', 'runAsNonRoot') !== true) problems.push(`k8s: ${app} may run as root`);
  }
  const backend = find('StatefulSet', 'backend');
  if (backend === undefined || at(backend, 'spec', 'replicas') !== 1) problems.push('k8s: the backend is not a StatefulSet of one replica');
  const service = find('Service', 'etcd-api');
  if (!JSON.stringify(at(service, 'spec', 'ports') ?? []).includes(`"port":${clientPort}`)) problems.push(`k8s: no Service etcd-api on port ${clientPort}`);
  const natsConfigMap = objects.find((o) => o['kind'] === 'ConfigMap' && asObject(o['data'])['nats-server.conf'] !== undefined);
  const natsServer = find('StatefulSet', 'nats') ?? find('Deployment', 'nats');
  if (natsServer !== undefined) {
    const natsContainer = asObject((at(natsServer, 'spec', 'template', 'spec', 'containers') as unknown[] | undefined)?.[0]);
    problems.push(...checkNatsServerEnv('k8s', natsConfig, ((natsContainer['env'] as unknown[] | undefined) ?? []).map((e) => String(asObject(e)['name']))));
  }
  if (asObject(natsConfigMap?.['data'])['nats-server.conf'] !== natsConfig) problems.push('k8s: the NATS ConfigMap differs from deploy/nats-server.conf (run `node tools/deploy-check/dist/main.js --sync-k8s-nats-config`)');
  return problems;
}

/** deploy/k8s/nats.yaml with its ConfigMap's nats-server.conf replaced by `natsConfig`. */
export function withNatsConfig(manifest: string, natsConfig: string): string {
  const block = natsConfig.replace(/\n$/, '').split('\n').map((line) => (line === '' ? '' : `    ${line}`)).join('\n');
  return manifest.replace(/( {2}nats-server\.conf: \|\n)[\s\S]*?\n(---\n)/, (_m, head: string, tail: string) => `${head}${block}\n${tail}`);
}
