// Configuration is read once at start-up into a frozen object, validated,
// and logged. Services take environment variables; the etcd API frontend
// also takes etcd-style flags (`--name value` or `--name=value`).

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

/** Parses `--flag value`, `--flag=value` and bare boolean `--flag`; rejects unknown flags. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!known.includes(name)) throw new ConfigError(`unknown flag --${name}`);
    if (eq !== -1) out.set(name, arg.slice(eq + 1));
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) out.set(name, argv[++i] as string);
    else out.set(name, 'true');
  }
  return out;
}

/** The settings every service shares. */
export interface ServiceBaseConfig {
  natsUrl: string;
  subjectPrefix: string;
  nodeName: string;
}

export function readServiceBaseConfig(env: Env): ServiceBaseConfig {
  return {
    natsUrl: envString(env, 'NATS_URL', 'nats://127.0.0.1:4222'),
    subjectPrefix: envString(env, 'ECKD_SUBJECT_PREFIX', 'eckd'),
    nodeName: envString(env, 'ECKD_NODE_NAME', 'default'),
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
