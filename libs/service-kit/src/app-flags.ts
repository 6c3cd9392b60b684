// Every app's command line (docs/ARCHITECTURE.md §9a): etcd's flag names
// where eckd has etcd's setting, each with an environment variable for
// deployments that configure by environment; the flag wins. argv is parsed
// strictly by parseFlags: an unknown flag is a ConfigError, as in etcd.
import { ConfigError, checkInt, parseFlags } from './config.js';
import type { LogLevel } from './logger.js';

type Env = Record<string, string | undefined>;

/** The flags every NATS service takes: etcd's --name, --log-level, --listen-metrics-urls and --version. */
export const serviceFlags = ['name', 'log-level', 'listen-metrics-urls', 'version'] as const;

const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** etcd's boolean flags that eckd takes: only these may stand without a value. */
const booleanFlags = ['version', 'client-cert-auth'];

/** An app's parsed flags and its environment: each setting reads its flag first, then its variable. */
export class AppFlags {
  /** The flags given, by name without the dashes. */
  readonly given: ReadonlyMap<string, string>;
  readonly env: Env;

  constructor(given: ReadonlyMap<string, string>, env: Env) {
    this.given = given;
    this.env = env;
  }

  /** True when the flag was given (`--version`). */
  has(flag: string): boolean {
    return this.given.has(flag);
  }

  /** The flag's value, else the variable's (empty or blank counts as unset), else undefined. */
  text(flag: string, envName?: string): string | undefined {
    const given = this.given.get(flag);
    if (given !== undefined) return given;
    const value = envName === undefined ? undefined : this.env[envName]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  /** An integer setting; an error names the flag or the variable the value came from. */
  int(flag: string, envName: string | undefined, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const raw = this.text(flag, envName);
    if (raw === undefined) return fallback;
    return checkInt(this.given.has(flag) || envName === undefined ? `--${flag}` : envName, raw, bounds);
  }
}

/**
 * @param known the app's flags: `serviceFlags` and its own.
 * @throws ConfigError on an unknown flag, a stray argument or a flag without its value.
 */
export function readAppFlags(argv: readonly string[], env: Env, known: readonly string[]): AppFlags {
  return new AppFlags(parseFlags(argv, known, booleanFlags), env);
}

/**
 * etcd's --log-level (ECKD_LOG_LEVEL), default info.
 * @throws ConfigError on a level other than debug, info, warn or error.
 */
export function readLogLevel(flags: AppFlags): LogLevel {
  const raw = flags.text('log-level', 'ECKD_LOG_LEVEL') ?? 'info';
  const level = logLevels.find((l) => l === raw);
  if (level === undefined) throw new ConfigError(`--log-level (ECKD_LOG_LEVEL) must be one of ${logLevels.join(', ')}, got "${raw}"`);
  return level;
}
