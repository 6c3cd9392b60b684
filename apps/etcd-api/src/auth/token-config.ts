// etcd's --auth-token syntax: "simple" (the default), or
// "jwt,pub-key=<file>,priv-key=<file>,sign-method=<RS256|…>,ttl=<duration>"
// (priv-key may be left out: the frontend then only verifies tokens).
// Checked at start-up: a bad option or an unreadable key stops the process.
import { readFileSync } from 'node:fs';
import { ConfigError } from '@eckd/service-kit';
import type { TokenProvider } from './tokens.js';
import { JwtTokens, SimpleTokens, jwtSignMethods } from './tokens.js';
import type { JwtSignMethod } from './tokens.js';

export type AuthTokenConfig =
  | { kind: 'simple'; ttlMs: number }
  | { kind: 'jwt'; signMethod: JwtSignMethod; publicKeyFile: string; privateKeyFile?: string; ttlMs: number };

/** etcd's jwt default TTL. */
const jwtDefaultTtlMs = 5 * 60_000;

export function parseAuthToken(raw: string, simpleTtlMs: number, parseDuration: (flag: string, value: string) => number): AuthTokenConfig {
  const [kind, ...rest] = raw.split(',');
  const opts = new Map<string, string>();
  for (const pair of rest) {
    const [name, value, extra] = pair.split('=');
    if (!name || value === undefined || extra !== undefined || opts.has(name)) throw new ConfigError(`--auth-token: invalid option "${pair}" in "${raw}"`);
    opts.set(name, value);
  }
  if (kind === 'simple') {
    if (opts.size > 0) throw new ConfigError(`--auth-token: simple takes no options, got "${raw}"`);
    return { kind: 'simple', ttlMs: simpleTtlMs };
  }
  if (kind !== 'jwt') throw new ConfigError(`--auth-token: unknown token type "${kind}" (simple or jwt)`);
  for (const name of opts.keys()) if (!['pub-key', 'priv-key', 'sign-method', 'ttl'].includes(name)) throw new ConfigError(`--auth-token: unknown jwt option "${name}"`);
  const signMethod = opts.get('sign-method');
  if (!signMethod || !jwtSignMethods.includes(signMethod as JwtSignMethod)) throw new ConfigError(`--auth-token: jwt needs sign-method, one of ${jwtSignMethods.join(', ')}`);
  const publicKeyFile = opts.get('pub-key');
  if (!publicKeyFile) throw new ConfigError('--auth-token: jwt needs pub-key');
  const ttl = opts.get('ttl');
  return { kind: 'jwt', signMethod: signMethod as JwtSignMethod, publicKeyFile, privateKeyFile: opts.get('priv-key'), ttlMs: ttl === undefined ? jwtDefaultTtlMs : parseDuration('--auth-token ttl', ttl) };
}

export function tokenProviderOf(config: AuthTokenConfig): TokenProvider {
  if (config.kind === 'simple') return new SimpleTokens(config.ttlMs);
  try {
    return new JwtTokens({
      signMethod: config.signMethod,
      publicKey: readFileSync(config.publicKeyFile, 'utf8'),
      privateKey: config.privateKeyFile === undefined ? undefined : readFileSync(config.privateKeyFile, 'utf8'),
      ttlMs: config.ttlMs,
    });
  } catch (err) {
    throw new ConfigError(`--auth-token: jwt keys: ${(err as Error).message}`);
  }
}
