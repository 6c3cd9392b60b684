// deploy/compose.yaml and deploy/prometheus.yml: every app and the services
// around it, each app built from its Dockerfile with its NATS user, health
// checked on its ops port, started after what it needs is healthy; every
// file mounted exists; Prometheus scrapes every app's ops port.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DeployedApp } from './deployed-apps.js';
import { clientPort, deployedApps, opsPorts } from './deployed-apps.js';
import { dockerfilePath } from './docker-check.js';
import { checkNatsServerEnv } from './nats-users.js';

type Yaml = Record<string, unknown>;
const asObject = (value: unknown): Yaml => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Yaml) : {});

const supportingServices = ['nats', 'postgres', 'jaeger', 'prometheus', 'grafana'] as const;

/** What each app waits for, and in which state. */
const appDependencies: Readonly<Record<DeployedApp, Readonly<Record<string, string>>>> = {
  persister: { nats: 'service_healthy', postgres: 'service_healthy' },
  compactor: { nats: 'service_healthy', postgres: 'service_healthy' },
  backend: { persister: 'service_healthy' },
  'etcd-api': { backend: 'service_healthy' },
};

export function checkCompose(text: string, deployDir: string, natsConfig: string): string[] {
  const services = asObject(asObject(parse(text))['services']);
  const problems = checkNatsServerEnv('compose.yaml', natsConfig, Object.keys(asObject(asObject(services['nats'])['environment'])));
  for (const name of [...deployedApps, ...supportingServices]) if (!(name in services)) problems.push(`compose.yaml has no service ${name}`);
  for (const [name, value] of Object.entries(services)) {
    const service = asObject(value);
    for (const volume of (service['volumes'] as unknown[] | undefined) ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : '';
      if (source.startsWith('.') && !existsSync(join(deployDir, source))) problems.push(`compose.yaml: ${name} mounts ${source}, which does not exist`);
    }
    if (!('healthcheck' in service) && name !== 'jaeger') problems.push(`compose.yaml: ${name} has no healthcheck`);
  }
  for (const app of deployedApps) {
    const service = asObject(services[app]);
    const build = asObject(service['build']);
    if (build['context'] !== '..' || build['dockerfile'] !== dockerfilePath(app)) problems.push(`compose.yaml: ${app} is not built from ${dockerfilePath(app)} in the repository`);
    const env = asObject(service['environment']);
    if (env['NATS_USER'] !== app || env['NATS_INBOX_PREFIX'] !== `_INBOX.${app}`) problems.push(`compose.yaml: ${app} does not connect as NATS user ${app} with inbox _INBOX.${app}`);
    if (!String(env['NATS_PASSWORD']).includes(`ECKD_NATS_${app.toUpperCase().replace('-', '_')}_PASSWORD`)) problems.push(`compose.yaml: ${app}'s NATS_PASSWORD is not its user's`);
    const test = JSON.stringify(asObject(service['healthcheck'])['test'] ?? '');
    if (!test.includes(`127.0.0.1:${opsPorts[app]}/readyz`)) problems.push(`compose.yaml: ${app}'s healthcheck does not ask /readyz on ${opsPorts[app]}`);
    const dependsOn = asObject(service['depends_on']);
    for (const [needed, condition] of Object.entries(appDependencies[app])) {
      if (asObject(dependsOn[needed])['condition'] !== condition) problems.push(`compose.yaml: ${app} does not wait for ${needed} (${condition})`);
    }
  }
  const ports = JSON.stringify(asObject(services['etcd-api'])['ports'] ?? []);
  if (!ports.includes(`:${clientPort}:${clientPort}`)) problems.push(`compose.yaml: etcd-api does not publish ${clientPort}`);
  return problems;
}

/**
 * Grafana's provisioning (deploy/grafana/provisioning) parses, names the
 * Prometheus of compose.yaml and loads the dashboards folder compose mounts;
 * the dashboard, once there, is JSON.
 */
export function checkGrafana(deployDir: string): string[] {
  const problems: string[] = [];
  const read = (path: string) => (existsSync(join(deployDir, path)) ? readFileSync(join(deployDir, path), 'utf8') : undefined);
  const datasources = (asObject(parse(read('grafana/provisioning/datasources/prometheus.yaml') ?? '{}'))['datasources'] as unknown[] | undefined) ?? [];
  if (!datasources.map(asObject).some((d) => d['type'] === 'prometheus' && d['url'] === 'http://prometheus:9090' && d['isDefault'] === true)) problems.push('grafana: no default Prometheus data source at http://prometheus:9090');
  const providers = (asObject(parse(read('grafana/provisioning/dashboards/eckd.yaml') ?? '{}'))['providers'] as unknown[] | undefined) ?? [];
  if (!providers.map(asObject).some((p) => asObject(p['options'])['path'] === '/var/lib/grafana/dashboards/eckd')) problems.push('grafana: no dashboard provider for /var/lib/grafana/dashboards/eckd');
  const dashboard = read('grafana/eckd-dashboard.json');
  if (dashboard !== undefined) {
    try {
      JSON.parse(dashboard);
    } catch (err) {
      problems.push(`grafana/eckd-dashboard.json is not JSON: ${(err as Error).message}`);
    }
  }
  return problems;
}

export function checkPrometheus(text: string): string[] {
  const jobs = ((asObject(parse(text))['scrape_configs'] as unknown[] | undefined) ?? []).map(asObject);
  const problems: string[] = [];
  for (const app of deployedApps) {
    const job = jobs.find((j) => j['job_name'] === app);
    const targets = JSON.stringify(job ?? {});
    if (job === undefined || !(targets.includes(`"port":${opsPorts[app]}`) || targets.includes(`${app}:${opsPorts[app]}`))) problems.push(`prometheus.yml does not scrape ${app} on ${opsPorts[app]}`);
  }
  return problems;
}
