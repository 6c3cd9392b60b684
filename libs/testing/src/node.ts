// Starts one eckd node from the built apps: persister, backend, then the
// etcd-api frontends, each its own OS process, all on one NATS subject prefix.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stoppable } from './dispose.js';
import { freePort, randomHex } from './free-port.js';
import { startProcess, stopGraceMsDefault } from './process.js';
import type { ProcessHandle } from './process.js';

export const nodeReadyTimeoutMs = 30_000;

export interface NodeOptions {
  natsUrl: string;
  databaseUrl: string;
  subjectPrefix: string;
  nodeName?: string;
  /** Number of etcd-api processes; default 1. */
  frontends?: number;
  /** Extra environment for every process of the node. */
  env?: Record<string, string>;
  /** Extra etcd-api flags for every frontend (e.g. `--watch-progress-notify-interval=1s`). */
  frontendArgs?: readonly string[];
  /** Scheme of the frontends' client URLs; `https` needs TLS flags in `frontendArgs` (`--cert-file`, ...). Default `http`. */
  clientScheme?: 'http' | 'https';
  /** Extra environment per role, applied after `env`. */
  roleEnv?: Partial<Record<NodeRole, Record<string, string>>>;
  readyTimeoutMs?: number;
  /** Every app serves an ops listener (and collects metrics); default true. False: none, metrics off. */
  ops?: boolean;
}

export type NodeRole = 'persister' | 'backend' | 'frontend';

export interface EckdNode extends Stoppable {
  readonly nodeName: string;
  /** '127.0.0.1:<port>' per frontend, in start order. */
  readonly endpoints: string[];
  readonly processes: { persister: ProcessHandle; backend: ProcessHandle; frontends: ProcessHandle[] };
  /** Each app's ops listener (--listen-metrics-urls), 'http://127.0.0.1:<port>': /livez, /readyz, /health, /version, /metrics; empty strings with `ops: false`. */
  readonly opsUrls: { persister: string; backend: string; frontends: string[] };
}

/** The directory holding nx.json, found by walking up from this file. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('testing: no nx.json above libs/testing');
    dir = parent;
  }
}

/** Path of an app's built entry point; throws if it has not been built. */
export function builtAppMain(app: string): string {
  const main = join(repoRoot(), 'apps', app, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`testing: ${main} is missing; build first (npm run build)`);
  return main;
}

/** True for a JSON log line whose msg is "ready". */
export function isReadyLine(line: string): boolean {
  if (!line.includes('"ready"')) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'ready';
  } catch {
    return false;
  }
}

export async function startNode(opts: NodeOptions): Promise<EckdNode> {
  const nodeName = opts.nodeName ?? `n${randomHex(3)}`;
  const baseEnv = {
    NATS_URL: opts.natsUrl,
    ECKD_SUBJECT_PREFIX: opts.subjectPrefix,
    ECKD_NODE_NAME: nodeName,
    DATABASE_URL: opts.databaseUrl,
    ...opts.env,
  };
  const started: ProcessHandle[] = [];
  const opsUrls: { persister: string; backend: string; frontends: string[] } = { persister: '', backend: '', frontends: [] };
  const launch = async (role: NodeRole, app: string, label: string, args: string[] = []) => {
    const opsUrl = opts.ops === false ? '' : `http://127.0.0.1:${await freePort()}`;
    if (role === 'frontend') opsUrls.frontends.push(opsUrl);
    else opsUrls[role] = opsUrl;
    if (opsUrl !== '') args.push('--listen-metrics-urls', opsUrl);
    const proc = await startProcess({
      name: `${nodeName}/${label}`,
      command: process.execPath,
      args: ['--enable-source-maps', builtAppMain(app), ...args],
      env: { ...baseEnv, ...opts.roleEnv?.[role] },
      cwd: repoRoot(),
      readyLine: isReadyLine,
      readyTimeoutMs: opts.readyTimeoutMs ?? nodeReadyTimeoutMs,
    });
    started.push(proc);
    return proc;
  };
  const stop = () => stopAll(started);
  try {
    const persister = await launch('persister', 'persister', 'persister');
    const backend = await launch('backend', 'backend', 'backend');
    const frontends: ProcessHandle[] = [];
    const endpoints: string[] = [];
    for (let i = 0; i < (opts.frontends ?? 1); i++) {
      const port = await freePort();
      const url = `${opts.clientScheme ?? 'http'}://127.0.0.1:${port}`;
      const args = ['--name', nodeName, '--listen-client-urls', url, '--advertise-client-urls', url, ...(opts.frontendArgs ?? [])];
      frontends.push(await launch('frontend', 'etcd-api', `etcd-api-${i}`, args));
      endpoints.push(`127.0.0.1:${port}`);
    }
    return { nodeName, endpoints, processes: { persister, backend, frontends }, opsUrls, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** SIGTERM to all at once; each gets SIGKILL if still running after the grace period. */
async function stopAll(procs: readonly ProcessHandle[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(stopGraceMsDefault)));
}

export interface ExtraFrontend {
  /** 127.0.0.1:<port> */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * One more etcd-api process for a running node (same NATS subjects and
 * database), with extra flags, e.g. a frontend whose progress-notify
 * interval differs from the node's others.
 */
export async function startExtraFrontend(node: NodeOptions, flags: readonly string[]): Promise<ExtraFrontend> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeName = node.nodeName ?? 'e2e';
  const proc = await startProcess({
    name: `${nodeName}/etcd-api-extra`,
    command: process.execPath,
    args: ['--enable-source-maps', builtAppMain('etcd-api'), '--name', nodeName, '--listen-client-urls', url, '--advertise-client-urls', url, ...flags],
    env: { NATS_URL: node.natsUrl, ECKD_SUBJECT_PREFIX: node.subjectPrefix, ECKD_NODE_NAME: nodeName, DATABASE_URL: node.databaseUrl, ...node.env },
    cwd: repoRoot(),
    readyLine: isReadyLine,
    readyTimeoutMs: node.readyTimeoutMs ?? nodeReadyTimeoutMs,
  });
  return { endpoint: `127.0.0.1:${port}`, stop: () => proc.stop() };
}
