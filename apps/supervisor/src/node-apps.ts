// What runs in one eckd node, as child specs: the persister, the compactor,
// the backend and the etcd-api frontends, plus the embedded database when
// there is no DATABASE_URL. Pure: main.ts and the runner decide when to start them.
import { join } from 'node:path';
import type { MemberConfig, SupervisorConfig } from './config.js';
import { clientUrls, opsPorts } from './config.js';
import { embeddedPostgresCommand } from './embedded-postgres.js';
import type { NatsUsers } from './nats-auth.js';
import { natsUserEnv } from './nats-auth.js';
import type { ChildSpec } from './supervised-child.js';
import { isJsonReadyLine } from './supervised-child.js';

export const appStopTimeoutMs = 15_000;
export const embeddedPostgresStopTimeoutMs = 30_000;

/** How to start this program again (for the embedded-postgres subcommand). */
export interface SelfCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface NodeApps {
  readonly persister: ChildSpec;
  readonly compactor: ChildSpec;
  readonly backend: ChildSpec;
  readonly frontends: readonly ChildSpec[];
}

export function appScript(appsDir: string, app: string): string {
  return join(appsDir, app, 'dist', 'main.js');
}

/**
 * The env every app gets: the supervisor's own (so OTEL_* reach them) plus
 * the node's plumbing; in a local cluster also the members' names
 * (ECKD_INITIAL_CLUSTER, read by the backend).
 */
export function appEnv(
  config: SupervisorConfig,
  member: MemberConfig,
  natsUrl: string,
  baseEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const cluster = config.nodes > 1 ? { ECKD_INITIAL_CLUSTER: config.members.map((m) => m.nodeName).join(',') } : {};
  return { ...baseEnv, NATS_URL: natsUrl, ECKD_SUBJECT_PREFIX: config.subjectPrefix, ECKD_NODE_NAME: member.nodeName, ...cluster };
}

export function nodeAppSpecs(options: {
  readonly config: SupervisorConfig;
  readonly member: MemberConfig;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly nodeExecutable: string;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** the embedded NATS's users; undefined: an external NATS, credentials from baseEnv */
  readonly natsUsers?: NatsUsers;
}): NodeApps {
  const { config, member, nodeExecutable, natsUsers } = options;
  const env = appEnv(config, member, options.natsUrl, options.baseEnv);
  const app = (name: string, script: 'persister' | 'compactor' | 'backend' | 'etcd-api', args: readonly string[], extraEnv: Record<string, string> = {}): ChildSpec => ({
    name,
    command: nodeExecutable,
    args: ['--enable-source-maps', appScript(config.appsDir, script), ...args],
    env: { ...env, ...(natsUsers === undefined ? {} : natsUserEnv(natsUsers[script])), ...extraEnv },
    isReadyLine: isJsonReadyLine,
    stopTimeoutMs: appStopTimeoutMs,
  });
  const urls = clientUrls(config, member.clientPorts);
  // Each app's ops listener (/livez, /readyz, /health, /version, /metrics), on the frontends' host; plain HTTP even when clients use TLS.
  const ports = opsPorts(member, config.metricsPortOffset);
  const ops = (port: number | undefined): string[] => (port === undefined ? [] : ['--listen-metrics-urls', clientUrls({ clientHost: config.clientHost, clientScheme: 'http' }, [port])[0]!]);
  return {
    persister: app('persister', 'persister', ops(ports?.persister), { DATABASE_URL: options.databaseUrl }),
    compactor: app('compactor', 'compactor', ops(ports?.compactor), { DATABASE_URL: options.databaseUrl }),
    backend: app('backend', 'backend', ops(ports?.backend)),
    frontends: urls.map((url, index) =>
      app(`etcd-api-${index}`, 'etcd-api', ['--name', member.nodeName, '--listen-client-urls', url, '--advertise-client-urls', url, ...ops(ports?.frontends[index]), ...config.frontendAuthFlags]),
    ),
  };
}

export function embeddedPostgresSpec(options: {
  readonly self: SelfCommand;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}): ChildSpec {
  return {
    name: 'postgres',
    command: options.self.command,
    args: [
      ...options.self.args,
      embeddedPostgresCommand,
      '--data-dir', join(options.dataDir, 'pglite'),
      '--host', options.host,
      '--port', String(options.port),
    ],
    env: options.baseEnv,
    isReadyLine: isJsonReadyLine,
    stopTimeoutMs: embeddedPostgresStopTimeoutMs,
  };
}
