// deploy/docker/<app>.Dockerfile: multi-stage, a current LTS Node image,
// production dependencies only, the bundle and the libs' files it reads,
// an unprivileged user, a HEALTHCHECK on the app's ops port, and a start
// command that runs the app's bundle.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployedApp } from './deployed-apps.js';
import { opsPorts } from './deployed-apps.js';
import { execForm, lastInstruction, parseDockerfile } from './dockerfile.js';

/** Node LTS lines an image may be built on (CI runs the apps on Node 20 too). */
const ltsNodeImage = /^node:(22|24)(\.\d+)*-(bookworm|trixie)-slim$/;

export function dockerfilePath(app: DeployedApp): string {
  return `deploy/docker/${app}.Dockerfile`;
}

export interface ImageStart {
  /** ENTRYPOINT + CMD, as the container runs them. */
  readonly argv: readonly string[];
  /** The final stage's WORKDIR. */
  readonly workdir: string;
}

export function checkDockerfile(text: string, app: DeployedApp, runtimeLibs: readonly string[]): { problems: string[]; start?: ImageStart } {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length < 2) problems.push('is not multi-stage');
  const nodeImage = /^ARG NODE_IMAGE=(\S+)/m.exec(text)?.[1];
  for (const stage of stages) {
    const image = stage.from === '${NODE_IMAGE}' ? nodeImage : stage.from;
    if (image === undefined || !ltsNodeImage.test(image)) problems.push(`stage ${stage.name ?? '(final)'} is built FROM ${image ?? stage.from}, not a current Node LTS slim image`);
  }
  const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
  if (!runs.some((r) => r.includes('npm ci --omit=dev') && r.includes(`--workspace=@eckd/${app}`))) problems.push(`installs no production-only dependencies of @eckd/${app} (npm ci --omit=dev --workspace=@eckd/${app})`);
  const final = stages.at(-1);
  if (final === undefined) return { problems: [...problems, 'has no stage'] };
  if (final.name !== undefined) problems.push('the final stage is named; the image is the last stage');
  const user = lastInstruction(final, 'USER')?.args;
  if (user === undefined || user === 'root' || user === '0') problems.push('runs as root (no USER in the final stage)');
  const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
  if (copies.some((c) => /^(--\S+ )*\. /.test(c))) problems.push('copies the build context into the image');
  for (const needed of [`apps/${app}/dist`, ...runtimeLibs.map((lib) => `${lib}/proto`)]) {
    if (!copies.some((c) => c.includes(`/src/${needed}/`))) problems.push(`does not copy ${needed} into the image`);
  }
  const health = lastInstruction(final, 'HEALTHCHECK')?.args ?? '';
  if (!health.includes(`127.0.0.1:${opsPorts[app]}/readyz`)) problems.push(`has no HEALTHCHECK on http://127.0.0.1:${opsPorts[app]}/readyz`);
  const env = final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
  if (!env.split(' ').includes(`ECKD_LISTEN_METRICS_URLS=http://0.0.0.0:${opsPorts[app]}`)) problems.push(`does not set ECKD_LISTEN_METRICS_URLS to port ${opsPorts[app]}`);
  const entrypoint = execForm(lastInstruction(final, 'ENTRYPOINT'));
  const cmd = execForm(lastInstruction(final, 'CMD')) ?? [];
  if (entrypoint === undefined) return { problems: [...problems, 'has no exec-form ENTRYPOINT'] };
  const argv = [...entrypoint, ...cmd];
  if (argv[0] !== 'node' || !argv.includes(`apps/${app}/dist/main.js`)) problems.push(`does not start node apps/${app}/dist/main.js: ${JSON.stringify(argv)}`);
  return { problems, start: { argv, workdir: lastInstruction(final, 'WORKDIR')?.args ?? '/' } };
}

export function readDockerfile(repoRoot: string, app: DeployedApp): string | undefined {
  const path = join(repoRoot, dockerfilePath(app));
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
