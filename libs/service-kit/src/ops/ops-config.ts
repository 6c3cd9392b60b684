// The ops listener's settings, common to every app: etcd's
// --listen-metrics-urls (or ECKD_LISTEN_METRICS_URLS), the checks' answer
// deadline and the emulated etcd version.
import type { AppFlags } from '../app-flags.js';
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

/**
 * --listen-metrics-urls (ECKD_LISTEN_METRICS_URLS); the rest from the environment.
 * @throws ConfigError on a URL that is not http://host:port.
 */
export function readOpsConfig(flags: AppFlags): OpsConfig {
  const env = flags.env;
  const raw = flags.text(listenMetricsUrlsFlag, 'ECKD_LISTEN_METRICS_URLS') ?? '';
  return Object.freeze({
    listenMetricsUrls: Object.freeze(parseListenUrls(raw)),
    healthCheckTimeoutMs: envInt(env, 'ECKD_HEALTH_CHECK_TIMEOUT_MS', healthCheckTimeoutMsDefault, { min: 1, max: 600_000 }),
    connectionsMax: envInt(env, 'ECKD_OPS_CONNECTIONS_MAX', opsConnectionsMaxDefault, { min: 1, max: 65_536 }),
    emulatedEtcdVersion: readEmulatedEtcdVersion(env),
  });
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
