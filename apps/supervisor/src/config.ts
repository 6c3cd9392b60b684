// The supervisor's configuration: read once from its flags (etcd's
// --data-dir) and the environment, validated, frozen. Every bad value is
// reported at once so a user fixes them together.
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError as FlagError, readAppFlags } from '@eckd/service-kit';
import type { AppFlags } from '@eckd/service-kit';
import { frontendAuthFlags } from './frontend-auth-flags.js';

/** The supervisor's command line: etcd's --data-dir (ECKD_DATA_DIR). */
export const supervisorFlags = ['data-dir'] as const;

/** etcd's local multi-member convention: 2379, then 22379, 32379, … */
export const firstClientPort = 2379;
export const clientPortStride = 10_000;
export const frontendsMax = 64;
/** ECKD_NODES: members of a local cluster; one digit keeps `node<i>` and the default ports simple. */
export const nodesMax = 9;
/** nats-server's default route port; member i of a local cluster adds (i−1)·clientPortStride. */
export const firstNatsClusterPort = 6222;
const natsDefaultPort = 4222;
/** Postgres truncates longer identifiers (NAMEDATALEN − 1). */
const databaseNameBytesMax = 63;
const portMax = 65_535;
/** The ops listeners of a member start this far above its first client port: 4379 for 2379 (ARCHITECTURE §9). */
export const metricsPortOffsetDefault = 2_000;
/** Ops listener slots of a member before its frontends': backend, persister, compactor. */
export const opsPortsBeforeFrontends = 3;

/** One member: a whole node (NATS, database, persister, compactor, backend, frontends). */
export interface MemberConfig {
  /** The apps' ECKD_NODE_NAME: ECKD_NODE_NAME for a single node, `node<i>` in a local cluster. */
  readonly nodeName: string;
  /** Prefixes its children's names in the output (`node1/backend`); empty for a single node. */
  readonly label: string;
  /** Its embedded NATS and Postgres data. */
  readonly dataDir: string;
  /** Its own NATS server. */
  readonly natsUrl: string;
  /** The route port of its embedded nats-server; undefined for a single node (no routes). */
  readonly natsClusterPort: number | undefined;
  /** Undefined: the supervisor runs embedded Postgres (PGlite) for it. */
  readonly databaseUrl: string | undefined;
  /** One port per etcd-api process; its length is the number of frontends. */
  readonly clientPorts: readonly number[];
}

export interface SupervisorConfig {
  readonly natsUrl: string;
  /** Undefined: the supervisor runs embedded Postgres (PGlite) itself. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly subjectPrefix: string;
  readonly clientHost: string;
  /** `https` when ECKD_CERT_FILE is set: the frontends then serve TLS (they read ECKD_CERT_FILE and the other TLS variables themselves) */
  readonly clientScheme: 'http' | 'https';
  /** --auth-token, --auth-token-ttl, --bcrypt-cost for every frontend, from ECKD_AUTH_TOKEN, ECKD_AUTH_TOKEN_TTL, ECKD_BCRYPT_COST (only those set) */
  readonly frontendAuthFlags: readonly string[];
  /** Where the built apps live: `<appsDir>/<app>/dist/main.js`. */
  readonly appsDir: string;
  /** ECKD_NODES; the length of members. */
  readonly nodes: number;
  /** ECKD_METRICS_PORT_OFFSET: a member's ops listeners from its first client port + this; 0: none. */
  readonly metricsPortOffset: number;
  readonly members: readonly MemberConfig[];
  /**
   * ECKD_INITIAL_CLUSTER_STATE=existing: `members` is the one member joining
   * a running local cluster, and this is the running member it joins through
   * (ECKD_JOIN), as that cluster laid it out; its nats-server routes there.
   */
  readonly join: MemberConfig | undefined;
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
export function parseConfig(env: Env, repoRoot: string, argv: readonly string[] = []): SupervisorConfig {
  const problems: string[] = [];
  const flags = readFlags(argv, env, problems);
  const text = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  };
  const natsUrl = text('NATS_URL', 'nats://127.0.0.1:4222');
  checkUrl('NATS_URL', natsUrl, ['nats:', 'tls:', 'ws:', 'wss:'], problems);
  const databaseUrlText = text('DATABASE_URL', '');
  if (databaseUrlText !== '') checkUrl('DATABASE_URL', databaseUrlText, ['postgres:', 'postgresql:'], problems);
  const nodes = parseNodes(env['ECKD_NODES']?.trim() ?? '', problems);
  const joining = parseJoining(env, problems);
  // A joining member is laid out as its place in the local cluster it joins, as ECKD_NODES would lay it out.
  const layoutNodes = joining ? Math.max(joining.member, joining.join) : nodes;
  const nodeNameText = env['ECKD_NODE_NAME']?.trim() ?? '';
  const nodeName = nodeNameText === '' ? 'default' : nodeNameText;
  checkToken('ECKD_NODE_NAME', nodeName, /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, problems);
  if (nodes > 1 && nodeNameText !== '') problems.push(`ECKD_NODE_NAME names a single node; the members of ECKD_NODES=${nodes} are node1…node${nodes}: unset it`);
  const subjectPrefix = text('ECKD_SUBJECT_PREFIX', 'eckd');
  // One subject token, as libs/change-codec requires (a dot would split it).
  checkToken('ECKD_SUBJECT_PREFIX', subjectPrefix, /^[A-Za-z0-9_-]+$/, problems);
  const clientHost = text('ECKD_CLIENT_HOST', '127.0.0.1');
  checkToken('ECKD_CLIENT_HOST', clientHost, /^[A-Za-z0-9.:-]+$/, problems);
  const clientPorts = parseClientPorts(env, layoutNodes, problems);
  const databaseUrl = databaseUrlText === '' ? undefined : databaseUrlText;
  const dataDir = resolvePath(flags?.text('data-dir', 'ECKD_DATA_DIR') ?? 'data', repoRoot);
  const layout = layoutNodes === 1 ? undefined : localClusterMembers({ env, nodes: layoutNodes, natsUrl, databaseUrl, dataDir, clientPorts }, problems);
  const members = joining
    ? [layout?.[joining.member - 1]].filter((m) => m !== undefined)
    : (layout ?? [{ nodeName, label: '', dataDir, natsUrl, natsClusterPort: undefined, databaseUrl, clientPorts: clientPorts[0] ?? [] }]);
  const join = joining && layout?.[joining.join - 1];
  for (const name of ['ECKD_NATS_PORTS', 'ECKD_NATS_CLUSTER_PORTS']) {
    if (layoutNodes === 1 && (env[name]?.trim() ?? '') !== '') problems.push(`${name} is for a local cluster (ECKD_NODES > 1); a single node's NATS is NATS_URL`);
  }
  const authFlags = frontendAuthFlags(env, problems);
  const metricsPortOffset = parseMetricsPortOffset(env['ECKD_METRICS_PORT_OFFSET']?.trim() ?? '', problems);
  if (metricsPortOffset > 0) {
    for (const m of members) {
      const last = (m.clientPorts[0] ?? 0) + metricsPortOffset + opsPortsBeforeFrontends + m.clientPorts.length - 1;
      if (last > portMax) problems.push(`ECKD_METRICS_PORT_OFFSET=${metricsPortOffset} puts ${m.nodeName || 'the node'}'s ops listeners past port ${portMax}; lower it or set 0`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    metricsPortOffset,
    natsUrl,
    databaseUrl,
    dataDir,
    subjectPrefix,
    clientHost,
    clientScheme: (env['ECKD_CERT_FILE']?.trim() ?? '') === '' ? 'http' : 'https',
    frontendAuthFlags: Object.freeze(authFlags),
    appsDir: resolvePath(text('ECKD_APPS_DIR', 'apps'), repoRoot),
    nodes,
    members: Object.freeze(members.map(frozenMember)),
    join: join && frozenMember(join),
  });
}

function frozenMember(member: MemberConfig): MemberConfig {
  return Object.freeze({ ...member, clientPorts: Object.freeze([...member.clientPorts]) });
}

/**
 * ECKD_INITIAL_CLUSTER_STATE=existing: one member joining a running local
 * cluster (README "Adding a member"); `member` and `join` are the i of
 * ECKD_NODE_NAME=node<i> and the j of ECKD_JOIN=node<j>. The backend checks
 * ECKD_PEER_URL's form itself.
 */
function parseJoining(env: Env, problems: string[]): { member: number; join: number } | undefined {
  const state = env['ECKD_INITIAL_CLUSTER_STATE']?.trim() ?? '';
  if (state !== 'existing') return undefined;
  const memberName = /^node([1-9])$/.exec(env['ECKD_NODE_NAME']?.trim() ?? '');
  const joinName = /^node([1-9])$/.exec(env['ECKD_JOIN']?.trim() ?? '');
  if ((env['ECKD_NODES']?.trim() ?? '') !== '') problems.push('ECKD_INITIAL_CLUSTER_STATE=existing runs one member joining a running local cluster: unset ECKD_NODES');
  if (!memberName) problems.push(`ECKD_INITIAL_CLUSTER_STATE=existing needs ECKD_NODE_NAME=node<i> (i from 1 to ${nodesMax}), the joining member's place in the local cluster`);
  if (!joinName) problems.push('ECKD_INITIAL_CLUSTER_STATE=existing needs ECKD_JOIN=node<j>, a running member of the local cluster');
  if ((env['ECKD_PEER_URL']?.trim() ?? '') === '') problems.push('ECKD_INITIAL_CLUSTER_STATE=existing needs ECKD_PEER_URL, the peer URL given to etcdctl member add');
  if (!memberName || !joinName) return undefined;
  if (memberName[1] === joinName[1]) problems.push(`ECKD_JOIN=${joinName[0]} is the joining member itself; name a running member`);
  return { member: Number(memberName[1]), join: Number(joinName[1]) };
}

/** Undefined (and a problem) on an unknown flag. */
function readFlags(argv: readonly string[], env: Env, problems: string[]): AppFlags | undefined {
  try {
    return readAppFlags(argv, { ...env }, supervisorFlags);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

function parseMetricsPortOffset(raw: string, problems: string[]): number {
  if (raw === '') return metricsPortOffsetDefault;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > portMax) {
    problems.push(`ECKD_METRICS_PORT_OFFSET must be a port offset (0 to ${portMax}; 0: no ops listeners), got "${raw}"`);
    return 0;
  }
  return value;
}

/**
 * A member's ops listener ports (ARCHITECTURE §9): from its first client
 * port + the offset, the backend, the persister, the compactor, then one
 * per frontend; undefined when ECKD_METRICS_PORT_OFFSET is 0.
 */
export function opsPorts(member: Pick<MemberConfig, 'clientPorts'>, offset: number): { backend: number; persister: number; compactor: number; frontends: number[] } | undefined {
  if (offset === 0) return undefined;
  const base = (member.clientPorts[0] ?? 0) + offset;
  return { backend: base, persister: base + 1, compactor: base + 2, frontends: member.clientPorts.map((_, i) => base + opsPortsBeforeFrontends + i) };
}

/** The default port of frontend `index` of a single node, or of member `index`'s first frontend: 2379, 22379, 32379, … */
export function defaultClientPort(index: number): number {
  return index === 0 ? firstClientPort : (index + 1) * clientPortStride + firstClientPort;
}

/** The etcd client URLs served on these ports, in frontend order. */
export function clientUrls(config: Pick<SupervisorConfig, 'clientHost' | 'clientScheme'>, ports: readonly number[]): string[] {
  const host = config.clientHost.includes(':') ? `[${config.clientHost}]` : config.clientHost;
  return ports.map((port) => `${config.clientScheme}://${host}:${port}`);
}

/** The configuration as logged at start-up: the database password is hidden. */
export function describeConfig(config: SupervisorConfig): Record<string, unknown> {
  const redactDatabase = (url: string | undefined): string => (url === undefined ? 'embedded' : redactUrl(url));
  return {
    ...config,
    natsUrl: config.natsUrl.split(',').map(redactUrl).join(','),
    databaseUrl: redactDatabase(config.databaseUrl),
    members: config.members.map((member) => ({
      ...member,
      natsUrl: member.natsUrl.split(',').map(redactUrl).join(','),
      databaseUrl: redactDatabase(member.databaseUrl),
    })),
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

function parseNodes(text: string, problems: string[]): number {
  if (text === '') return 1;
  const nodes = Number(text);
  if (!/^\d+$/.test(text) || nodes < 1 || nodes > nodesMax) {
    problems.push(`ECKD_NODES must be a whole number from 1 to ${nodesMax}, got "${text}"`);
    return 1;
  }
  return nodes;
}

/** The client ports of each member (member-major: ECKD_CLIENT_PORTS lists member 1's frontends, then member 2's, …). */
function parseClientPorts(env: Env, nodes: number, problems: string[]): number[][] {
  const frontendsText = env['ECKD_FRONTENDS']?.trim() ?? '';
  let frontends: number | undefined;
  if (frontendsText !== '') {
    frontends = Number(frontendsText);
    if (!/^\d+$/.test(frontendsText) || frontends < 1 || frontends > frontendsMax) {
      problems.push(`ECKD_FRONTENDS must be a whole number from 1 to ${frontendsMax}, got "${frontendsText}"`);
      return [];
    }
  }
  const listed = parsePortList(env, 'ECKD_CLIENT_PORTS', problems);
  if (listed !== undefined) {
    const perMember = frontends ?? listed.length / nodes;
    if (frontends !== undefined && frontends * nodes !== listed.length) {
      const expected = nodes === 1 ? `${frontends}` : `${nodes} members × ${frontends} frontends = ${frontends * nodes}`;
      problems.push(`ECKD_FRONTENDS=${frontends} but ECKD_CLIENT_PORTS lists ${listed.length} ports (expected ${expected})`);
    } else if (!Number.isInteger(perMember)) {
      problems.push(`ECKD_CLIENT_PORTS lists ${listed.length} ports, not the same number for each of ECKD_NODES=${nodes} members`);
    }
    return Array.from({ length: nodes }, (_, member) => listed.slice(member * perMember, (member + 1) * perMember));
  }
  const count = frontends ?? 1;
  // A single node's frontends take etcd's local ports; a cluster's members do, each member's further frontends the ports just above.
  const ports = Array.from({ length: nodes }, (_, member) =>
    Array.from({ length: count }, (_, frontend) => (nodes === 1 ? defaultClientPort(frontend) : defaultClientPort(member) + frontend)),
  );
  if (ports.flat().some((port) => port > portMax)) {
    const what = nodes === 1 ? `ECKD_FRONTENDS=${count}` : `ECKD_NODES=${nodes}`;
    problems.push(`${what} runs past port ${portMax} with the default ports; set ECKD_CLIENT_PORTS`);
  }
  return ports;
}

/** A comma-separated list of distinct ports, or undefined when the variable is unset. */
function parsePortList(env: Env, name: string, problems: string[]): number[] | undefined {
  const text = env[name]?.trim() ?? '';
  if (text === '') return undefined;
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > portMax)) {
    problems.push(`${name} must be a comma-separated list of ports (1-${portMax}), got "${text}"`);
    return [];
  }
  const ports = parts.map(Number);
  if (new Set(ports).size !== ports.length) problems.push(`${name} lists a port twice: "${text}"`);
  return ports;
}

/**
 * The members of a local cluster (ECKD_NODES > 1): member i is `node<i>`,
 * with its data under `<data dir>/node<i>`, its database `<db>_node<i>`, its
 * nats-server on the NATS_URL port + (i−1)·10000 and the route port 6222 +
 * (i−1)·10000 unless ECKD_NATS_PORTS / ECKD_NATS_CLUSTER_PORTS list them.
 */
function localClusterMembers(
  options: { env: Env; nodes: number; natsUrl: string; databaseUrl: string | undefined; dataDir: string; clientPorts: readonly number[][] },
  problems: string[],
): MemberConfig[] {
  const { env, nodes } = options;
  const memberPorts = (name: string, defaultOf: (member: number) => number): number[] => {
    const listed = parsePortList(env, name, problems);
    if (listed !== undefined && listed.length !== nodes && listed.length > 0) problems.push(`${name} lists ${listed.length} ports for ECKD_NODES=${nodes} members`);
    const ports = listed ?? Array.from({ length: nodes }, (_, member) => defaultOf(member));
    if (ports.some((port) => port > portMax)) problems.push(`ECKD_NODES=${nodes} runs past port ${portMax} with the default ${name}; set ${name}`);
    return ports;
  };
  const singleNatsUrl = parseSingleUrl(options.natsUrl);
  const natsBasePort = singleNatsUrl === undefined || singleNatsUrl.port === '' ? natsDefaultPort : Number(singleNatsUrl.port);
  const natsPorts = memberPorts('ECKD_NATS_PORTS', (member) => natsBasePort + member * clientPortStride);
  const clusterPorts = memberPorts('ECKD_NATS_CLUSTER_PORTS', (member) => firstNatsClusterPort + member * clientPortStride);
  return Array.from({ length: nodes }, (_, member) => {
    const nodeName = `node${member + 1}`;
    return {
      nodeName,
      label: nodeName,
      dataDir: join(options.dataDir, nodeName),
      // Several servers in NATS_URL: an external NATS every member shares.
      natsUrl: singleNatsUrl === undefined ? options.natsUrl : withPort(singleNatsUrl, natsPorts[member] ?? natsBasePort),
      natsClusterPort: clusterPorts[member],
      databaseUrl: options.databaseUrl === undefined ? undefined : memberDatabaseUrl(options.databaseUrl, nodeName, problems),
      clientPorts: options.clientPorts[member] ?? [],
    };
  });
}

function parseSingleUrl(text: string): URL | undefined {
  if (text.includes(',')) return undefined;
  try {
    return new URL(text.trim());
  } catch {
    return undefined;
  }
}

function withPort(url: URL, port: number): string {
  const copy = new URL(url);
  copy.port = String(port);
  return copy.toString();
}

/** `<db>_<node>` on the server of DATABASE_URL (its database, or else its user's name, as libpq defaults). */
export function memberDatabaseUrl(databaseUrl: string, nodeName: string, problems: string[]): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return databaseUrl; // already reported as not a URL
  }
  const base = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  const name = `${base}_${nodeName}`;
  if (Buffer.byteLength(name) > databaseNameBytesMax) problems.push(`DATABASE_URL's database name is too long for the member database "${name}" (at most ${databaseNameBytesMax} bytes)`);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
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
