// The ops listener's settings, common to every app: etcd's
// --listen-metrics-urls (or ECKD_LISTEN_METRICS_URLS), the checks' answer
// deadline and the emulated etcd version.
import { ConfigError, envInt } from '../config.js';
import { readEmulatedEtcdVersion } from './versions.js';

export const listenMetricsUrlsFlag = 'listen-metrics-urls';
export const healthCheckTimeoutMsDefault = 5_000;
/** Scrapers and probes are few; more connections than this are refused by the listener. */
export const opsConnectionsMaxDefault = 64;

export interface OpsListen {
  readonly host: string;
  readonly port: number;
}

export interface OpsConfig {
  /** Empty: no ops listener, and no metrics are collected. */
  readonly listenMetricsUrls: readonly OpsListen[];
  readonly healthCheckTimeoutMs: number;
  /** ECKD_OPS_CONNECTIONS_MAX: open connections per listener; beyond, new ones are closed at once */
  readonly connectionsMax: number;
  readonly emulatedEtcdVersion: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the flag from argv (`--listen-metrics-urls v` or `=v`; other flags
 * are the app's own business) and the rest from the environment.
 * @throws ConfigError on a URL that is not http://host:port.
 */
export function readOpsConfig(argv: readonly string[], env: Env): OpsConfig {
  const raw = flagValue(argv, listenMetricsUrlsFlag) ?? env['ECKD_LISTEN_METRICS_URLS'] ?? '';
  return Object.freeze({
    listenMetricsUrls: Object.freeze(parseListenUrls(raw)),
    healthCheckTimeoutMs: envInt({ ...env }, 'ECKD_HEALTH_CHECK_TIMEOUT_MS', healthCheckTimeoutMsDefault, { min: 1, max: 600_000 }),
    connectionsMax: envInt({ ...env }, 'ECKD_OPS_CONNECTIONS_MAX', opsConnectionsMaxDefault, { min: 1, max: 65_536 }),
    emulatedEtcdVersion: readEmulatedEtcdVersion(env),
  });
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === `--${name}`) value = argv[i + 1] ?? '';
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

function parseListenUrls(raw: string): OpsListen[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((text) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new ConfigError(`--${listenMetricsUrlsFlag}: "${text}" is not a URL`);
      }
      if (url.protocol !== 'http:') throw new ConfigError(`--${listenMetricsUrlsFlag}: "${text}": only http:// is served (no TLS on the ops listener)`);
      if (url.port === '' || (url.pathname !== '/' && url.pathname !== '')) throw new ConfigError(`--${listenMetricsUrlsFlag}: "${text}" must be http://host:port`);
      return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
    });
}
