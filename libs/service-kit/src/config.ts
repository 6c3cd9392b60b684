// Configuration is read once at start-up into a frozen object, validated,
// and logged (secrets never). Apps take etcd-style flags (`--name value` or
// `--name=value`, read through app-flags.ts) and environment variables.

import { existsSync, readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator } from '@nats-io/nats-core';
import type { ConnectionOptions, TlsOptions } from '@nats-io/nats-core';
import type { AppFlags } from './app-flags.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function envString(env: Env, name: string, fallback?: string): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback === undefined) throw new ConfigError(`${name} is required`);
  return fallback;
}

export function envInt(env: Env, name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return checkInt(name, raw, bounds);
}

export function checkInt(name: string, raw: string, bounds: { min?: number; max?: number } = {}): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (bounds.min !== undefined && value < bounds.min) throw new ConfigError(`${name} must be >= ${bounds.min}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max) throw new ConfigError(`${name} must be <= ${bounds.max}, got ${value}`);
  return value;
}

/**
 * Parses `--flag value`, `--flag=value` and bare boolean `--flag` (value
 * "true"); rejects unknown flags and, when `booleans` is given, a bare flag
 * not among them (etcd: "flag needs an argument").
 */
export function parseFlags(argv: readonly string[], known: readonly string[], booleans?: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!known.includes(name)) throw new ConfigError(`unknown flag --${name}`);
    if (eq !== -1) out.set(name, arg.slice(eq + 1));
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) out.set(name, argv[++i] as string);
    else if (booleans === undefined || booleans.includes(name)) out.set(name, 'true');
    else throw new ConfigError(`flag needs an argument: --${name}`);
  }
  return out;
}

/** The settings every service shares. */
export interface ServiceBaseConfig {
  nats: NatsSettings;
  subjectPrefix: string;
  nodeName: string;
}

/** --name (ECKD_NODE_NAME), etcd's member name; the rest from the environment. */
export function readServiceBaseConfig(flags: AppFlags): ServiceBaseConfig {
  return {
    nats: readNatsSettings(flags.env),
    subjectPrefix: envString(flags.env, 'ECKD_SUBJECT_PREFIX', 'eckd'),
    nodeName: flags.text('name', 'ECKD_NODE_NAME') ?? 'default',
  };
}

/** The URL with its password hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable>';
  }
}

export type NatsAuth = 'none' | 'user' | 'token' | 'nkey' | 'creds';
type NatsSecrets = Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token' | 'authenticator' | 'tls'>;

export const defaultInboxPrefix = '_INBOX';
const inboxPrefixPattern = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Where and how a service connects to NATS. Only what may be logged is
 * enumerable (JSON.stringify of a config shows `auth: 'creds'`, never a
 * secret); the credentials stay in a private field.
 */
export class NatsSettings {
  /** the server URLs with any password hidden */
  readonly servers: string;
  readonly auth: NatsAuth;
  readonly tls: boolean;
  /** reply subjects start with this (a NATS user may be allowed to subscribe only under its own) */
  readonly inboxPrefix: string;
  readonly #secrets: NatsSecrets;

  constructor(fields: { auth: NatsAuth; inboxPrefix: string; secrets: NatsSecrets }) {
    const servers = String(fields.secrets.servers);
    this.servers = servers.split(',').map(redactUrl).join(',');
    this.auth = fields.auth;
    this.tls = fields.secrets.tls !== undefined;
    this.inboxPrefix = fields.inboxPrefix;
    this.#secrets = fields.secrets;
  }

  /** The connection options, secrets included: give them to connect() only. */
  connectOptions(): ConnectionOptions {
    return { ...this.#secrets, inboxPrefix: this.inboxPrefix };
  }
}

/**
 * Reads NATS_URL, NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY (a seed
 * file), NATS_CREDS (a .creds file), NATS_CA/NATS_CERT/NATS_KEY (TLS) and
 * NATS_INBOX_PREFIX. Files must exist at start-up; at most one kind of
 * credentials may be given.
 */
export function readNatsSettings(env: Env): NatsSettings {
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const file = (name: string): string | undefined => {
    const path = text(name);
    if (path !== undefined && !existsSync(path)) throw new ConfigError(`${name}: file "${path}" does not exist`);
    return path;
  };
  const servers = text('NATS_URL') ?? 'nats://127.0.0.1:4222';
  const user = text('NATS_USER');
  const pass = text('NATS_PASSWORD');
  const token = text('NATS_TOKEN');
  const nkey = file('NATS_NKEY');
  const creds = file('NATS_CREDS');
  const given = [user !== undefined && 'NATS_USER', token !== undefined && 'NATS_TOKEN', nkey !== undefined && 'NATS_NKEY', creds !== undefined && 'NATS_CREDS'].filter(
    (name): name is string => name !== false,
  );
  if (given.length > 1) throw new ConfigError(`NATS credentials: give one of ${given.join(', ')}, not several`);
  if (pass !== undefined && user === undefined) throw new ConfigError('NATS_PASSWORD is set without NATS_USER');

  const secrets: NatsSecrets = { servers };
  let auth: NatsAuth = 'none';
  if (user !== undefined) {
    auth = 'user';
    secrets.user = user;
    secrets.pass = pass;
  } else if (token !== undefined) {
    auth = 'token';
    secrets.token = token;
  } else if (nkey !== undefined) {
    auth = 'nkey';
    secrets.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(nkey, 'utf8').trim()));
  } else if (creds !== undefined) {
    auth = 'creds';
    secrets.authenticator = credsAuthenticator(readFileSync(creds));
  }

  const caFile = file('NATS_CA');
  const certFile = file('NATS_CERT');
  const keyFile = file('NATS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('NATS_CERT and NATS_KEY go together');
  const wantsTls = servers.split(',').some((url) => url.trim().startsWith('tls://'));
  if (wantsTls || caFile !== undefined || certFile !== undefined) {
    const tls: TlsOptions = {};
    if (caFile !== undefined) tls.caFile = caFile;
    if (certFile !== undefined) tls.certFile = certFile;
    if (keyFile !== undefined) tls.keyFile = keyFile;
    secrets.tls = tls;
  }

  const inboxPrefix = text('NATS_INBOX_PREFIX') ?? defaultInboxPrefix;
  if (!inboxPrefixPattern.test(inboxPrefix)) throw new ConfigError(`NATS_INBOX_PREFIX must match ${inboxPrefixPattern}, got "${inboxPrefix}"`);
  return new NatsSettings({ auth, inboxPrefix, secrets });
}
