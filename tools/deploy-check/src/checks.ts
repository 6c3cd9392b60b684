// Every check of deploy/, by name, each giving the problems it found (none:
// the check passed). The spec runs each as a test; main.ts runs them all.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkBundle } from './bundle-check.js';
import { checkCompose, checkGrafana, checkPrometheus } from './compose-check.js';
import { deployedApps } from './deployed-apps.js';
import type { DeployedApp } from './deployed-apps.js';
import { checkDockerfile, dockerfilePath, readDockerfile } from './docker-check.js';
import { checkManifests } from './k8s-check.js';
import { checkStartCommand } from './start-command.js';
import { checkTarget, checkUnit, systemdTarget, unitName, verifyWithSystemd } from './systemd-check.js';

export interface DeployCheck {
  readonly name: string;
  run(): Promise<string[]> | string[];
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

export function imageChecks(root: string, app: DeployedApp): DeployCheck[] {
  const image = () => {
    const text = readDockerfile(root, app);
    if (text === undefined) return { problems: [`${dockerfilePath(app)} does not exist`] };
    const bundle = checkBundle(root, app);
    const dockerfile = checkDockerfile(text, app, bundle.runtimeLibs);
    return { problems: [...bundle.problems, ...dockerfile.problems.map((p) => `${dockerfilePath(app)} ${p}`)], start: dockerfile.start };
  };
  return [
    { name: `${app} image: Dockerfile and the bundle's production dependencies`, run: () => image().problems },
    {
      name: `${app} image: its start command runs the built app`,
      run: async () => {
        const { start } = image();
        return start === undefined ? [`${dockerfilePath(app)} has no start command`] : checkStartCommand(root, start);
      },
    },
  ];
}

export function deployChecks(root: string): DeployCheck[] {
  const manifests = () => readdirSync(join(root, 'deploy/k8s')).filter((f) => f.endsWith('.yaml')).sort().map((name) => ({ name, text: read(root, `deploy/k8s/${name}`) }));
  return [
    ...deployedApps.flatMap((app) => imageChecks(root, app)),
    { name: 'compose.yaml: every app and service, healthchecks, depends_on', run: () => checkCompose(read(root, 'deploy/compose.yaml'), join(root, 'deploy'), read(root, 'deploy/nats-server.conf')) },
    { name: 'prometheus.yml: every app scraped', run: () => checkPrometheus(read(root, 'deploy/prometheus.yml')) },
    { name: 'grafana: Prometheus data source and the dashboard provisioned', run: () => checkGrafana(join(root, 'deploy')) },
    { name: 'k8s: manifests parse, probes, annotations, one backend', run: () => checkManifests(manifests(), read(root, 'deploy/nats-server.conf')) },
    {
      name: 'systemd: a unit per app and a target',
      run: () => [...deployedApps.flatMap((app) => checkUnit(app, read(root, `deploy/systemd/${unitName(app)}`))), ...checkTarget(read(root, `deploy/systemd/${systemdTarget}`))],
    },
    { name: 'systemd: systemd-analyze verify (where installed)', run: () => verifyWithSystemd(join(root, 'deploy/systemd')).problems },
  ];
}
