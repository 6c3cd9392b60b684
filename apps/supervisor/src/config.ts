// The supervisor's configuration: read once from the environment, validated,
// frozen. Every bad value is reported at once so a user fixes them together.
import { isAbsolute, resolve } from 'node:path';

/** etcd's local multi-member convention: 2379, then 22379, 32379, … */
export const firstClientPort = 2379;
export const clientPortStride = 10_000;
export const frontendsMax = 64;
const portMax = 65_535;

export interface SupervisorConfig {
  readonly natsUrl: string;
  /** Undefined: the supervisor runs embedded Postgres (PGlite) itself. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly nodeName: string;
  readonly subjectPrefix: string;
  readonly clientHost: string;
  /** One port per etcd-api process; its length is the number of frontends. */
  readonly clientPorts: readonly number[];
  /** Where the built apps live: `<appsDir>/<app>/dist/main.js`. */
  readonly appsDir: string;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`supervisor: invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the supervisor's configuration; throws ConfigError listing every problem. */
export function parseConfig(env: Env, repoRoot: string): SupervisorConfig {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  };
  const natsUrl = text('NATS_URL', 'nats://127.0.0.1:4222');
  checkUrl('NATS_URL', natsUrl, ['nats:', 'tls:', 'ws:', 'wss:'], problems);
  const databaseUrlText = text('DATABASE_URL', '');
  if (databaseUrlText !== '') checkUrl('DATABASE_URL', databaseUrlText, ['postgres:', 'postgresql:'], problems);
  const nodeName = text('ECKD_NODE_NAME', 'default');
  checkToken('ECKD_NODE_NAME', nodeName, /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, problems);
  const subjectPrefix = text('ECKD_SUBJECT_PREFIX', 'eckd');
  checkToken('ECKD_SUBJECT_PREFIX', subjectPrefix, /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, problems);
  const clientHost = text('ECKD_CLIENT_HOST', '127.0.0.1');
  checkToken('ECKD_CLIENT_HOST', clientHost, /^[A-Za-z0-9.:-]+$/, problems);
  const clientPorts = parseClientPorts(env, problems);
  const config: SupervisorConfig = {
    natsUrl,
    databaseUrl: databaseUrlText === '' ? undefined : databaseUrlText,
    dataDir: resolvePath(text('ECKD_DATA_DIR', 'data'), repoRoot),
    nodeName,
    subjectPrefix,
    clientHost,
    clientPorts,
    appsDir: resolvePath(text('ECKD_APPS_DIR', 'apps'), repoRoot),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...config, clientPorts: Object.freeze([...clientPorts]) });
}

/** The default port of frontend `index`: 2379, 22379, 32379, … */
export function defaultClientPort(index: number): number {
  return index === 0 ? firstClientPort : (index + 1) * clientPortStride + firstClientPort;
}

/** The etcd client URLs the node serves, in frontend order. */
export function clientUrls(config: SupervisorConfig): string[] {
  const host = config.clientHost.includes(':') ? `[${config.clientHost}]` : config.clientHost;
  return config.clientPorts.map((port) => `http://${host}:${port}`);
}

/** The configuration as logged at start-up: the database password is hidden. */
export function describeConfig(config: SupervisorConfig): Record<string, unknown> {
  return {
    ...config,
    natsUrl: config.natsUrl.split(',').map(redactUrl).join(','),
    databaseUrl: config.databaseUrl === undefined ? 'embedded' : redactUrl(config.databaseUrl),
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url.trim());
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}

function parseClientPorts(env: Env, problems: string[]): number[] {
  const frontendsText = env['ECKD_FRONTENDS']?.trim() ?? '';
  const portsText = env['ECKD_CLIENT_PORTS']?.trim() ?? '';
  let frontends: number | undefined;
  if (frontendsText !== '') {
    frontends = Number(frontendsText);
    if (!/^\d+$/.test(frontendsText) || frontends < 1 || frontends > frontendsMax) {
      problems.push(`ECKD_FRONTENDS must be a whole number from 1 to ${frontendsMax}, got "${frontendsText}"`);
      return [];
    }
  }
  if (portsText !== '') {
    const ports = portsText.split(',').map((part) => part.trim());
    const bad = ports.filter((part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > portMax);
    if (bad.length > 0) {
      problems.push(`ECKD_CLIENT_PORTS must be a comma-separated list of ports (1-${portMax}), got "${portsText}"`);
      return [];
    }
    const numbers = ports.map(Number);
    if (new Set(numbers).size !== numbers.length) problems.push(`ECKD_CLIENT_PORTS lists a port twice: "${portsText}"`);
    if (frontends !== undefined && frontends !== numbers.length) {
      problems.push(`ECKD_FRONTENDS=${frontends} but ECKD_CLIENT_PORTS lists ${numbers.length} ports`);
    }
    return numbers;
  }
  const count = frontends ?? 1;
  const ports = Array.from({ length: count }, (_, index) => defaultClientPort(index));
  if (ports.some((port) => port > portMax)) {
    problems.push(`ECKD_FRONTENDS=${count} runs past port ${portMax} with the default ports; set ECKD_CLIENT_PORTS`);
  }
  return ports;
}

function checkUrl(name: string, value: string, protocols: readonly string[], problems: string[]): void {
  // NATS_URL may list several servers, as the NATS clients accept.
  for (const part of value.split(',')) {
    let url: URL;
    try {
      url = new URL(part.trim());
    } catch {
      problems.push(`${name} is not a URL: "${part}"`);
      continue;
    }
    if (!protocols.includes(url.protocol)) {
      problems.push(`${name} must use ${protocols.map((p) => `${p}//`).join(' or ')}, got "${part}"`);
    }
  }
}

function checkToken(name: string, value: string, pattern: RegExp, problems: string[]): void {
  if (!pattern.test(value)) problems.push(`${name} has a bad value "${value}" (expected ${pattern.source})`);
}

function resolvePath(path: string, repoRoot: string): string {
  return isAbsolute(path) ? path : resolve(repoRoot, path);
}
