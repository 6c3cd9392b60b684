// The embedded nats-server's users: one per service kind, each with a
// password generated at start-up and only the subjects its service needs
// (libs/change-codec/src/permissions.ts). No user means no connection: an
// anonymous client cannot publish on the node's subjects.
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsAuthorizationConfig, nodePermissions, nodeSubjects } from '@eckd/change-codec';
import type { NatsPassword, NatsServiceKind } from '@eckd/change-codec';
import type { NatsEndpoint } from './nats.js';

export const natsServerConfigFile = 'nats-server.conf';
/** The user every server of a local cluster's NATS dials its routes as. */
export const natsRouteUser = 'route';
const passwordBytes = 24;

export interface NatsUser {
  readonly user: NatsServiceKind;
  readonly password: string;
  readonly inboxPrefix: string;
}

export type NatsUsers = Readonly<Record<NatsServiceKind, NatsUser>>;

/** One user per service kind with a fresh random password. */
export function generateNatsUsers(subjectScope: { prefix: string; node: string }): NatsUsers {
  const permissions = nodePermissions(nodeSubjects(subjectScope));
  return Object.freeze(
    byKind((kind) => ({ user: kind, password: randomBytes(passwordBytes).toString('base64url'), inboxPrefix: permissions[kind].inboxPrefix })),
  );
}

function byKind<T>(make: (kind: NatsServiceKind) => T): Record<NatsServiceKind, T> {
  return { 'etcd-api': make('etcd-api'), backend: make('backend'), persister: make('persister'), compactor: make('compactor') };
}

/**
 * One server's routes in a local cluster. Every server has the same route
 * user and password (generated once per start), so only the cluster's own
 * servers can join it: a route is trusted with every subject.
 */
export interface NatsRoutes {
  readonly clusterName: string;
  /** nats-server's server_name (clustered JetStream needs one per server): the member's name. */
  readonly serverName: string;
  readonly listen: NatsEndpoint;
  readonly password: string;
  /** The route ports of the other servers. */
  readonly peers: readonly NatsEndpoint[];
}

export function generateRoutePassword(): string {
  return randomBytes(passwordBytes).toString('base64url');
}

/**
 * The route password a running local cluster's supervisor wrote into a
 * member's config (natsRoutesConfig): a joining member's server routes to
 * that cluster with it. Throws, with the reason, when it cannot be read.
 */
export function readRoutePassword(memberDataDir: string): string {
  const path = join(memberDataDir, natsServerConfigFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`supervisor: cannot read ${path}, the ECKD_JOIN member's NATS config (written by the supervisor running the local cluster, same ECKD_DATA_DIR): ${(err as Error).message}`);
  }
  const match = new RegExp(`authorization \\{ user: ${JSON.stringify(natsRouteUser)}, password: ("(?:[^"\\\\]|\\\\.)*") \\}`).exec(text);
  if (!match) throw new Error(`supervisor: ${path} holds no route password: the ECKD_JOIN member is no member of a local cluster (ECKD_NODES > 1) whose NATS the supervisor runs`);
  return JSON.parse(match[1]!) as string;
}

/**
 * The `cluster` block of a local cluster's server. Routes sit in the config
 * file (owner-only) rather than on the command line, where `ps` would show
 * the route password. `no_advertise` keeps each member's apps on their own
 * server: the other servers know other users (their permissions name
 * another member's subjects), so a failed-over client could not log in.
 */
export function natsRoutesConfig(routes: NatsRoutes): string {
  const hostPort = (endpoint: NatsEndpoint) => `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
  const peerUrls = routes.peers.map((peer) => JSON.stringify(`nats-route://${natsRouteUser}:${routes.password}@${hostPort(peer)}`));
  return [
    `server_name: ${JSON.stringify(routes.serverName)}`,
    'cluster {',
    `  name: ${JSON.stringify(routes.clusterName)}`,
    `  listen: ${JSON.stringify(hostPort(routes.listen))}`,
    '  no_advertise: true',
    `  authorization { user: ${JSON.stringify(natsRouteUser)}, password: ${JSON.stringify(routes.password)} }`,
    `  routes: [${peerUrls.join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

/** Writes the embedded server's config (readable by its owner only) into the data dir; returns its path. */
export function writeEmbeddedNatsConfig(dataDir: string, subjectScope: { prefix: string; node: string }, users: NatsUsers, routes?: NatsRoutes): string {
  const path = join(dataDir, natsServerConfigFile);
  const passwords = byKind((kind): NatsPassword => ({ literal: users[kind].password }));
  const routesText = routes === undefined ? '' : natsRoutesConfig(routes);
  const text = `# Written by the eckd supervisor at every start (new passwords each time).\n${natsAuthorizationConfig({ subjectScope, passwords })}${routesText}`;
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** The env that makes a service connect as its own user (other credential settings cleared). */
export function natsUserEnv(user: NatsUser): Record<string, string | undefined> {
  return {
    NATS_USER: user.user,
    NATS_PASSWORD: user.password,
    NATS_INBOX_PREFIX: user.inboxPrefix,
    NATS_TOKEN: undefined,
    NATS_NKEY: undefined,
    NATS_CREDS: undefined,
  };
}
