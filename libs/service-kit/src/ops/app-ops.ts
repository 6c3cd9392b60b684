// Two calls per app (main.ts) that set up what operators look at: the
// command line (strict, `--version`, `--log-level`), then the ops listener
// and, with it, the metrics registry. The listener starts
// before the app's own start-up so /livez answers and /readyz says
// "starting" while it recovers; the app hands over its readiness checks once
// it has built what they check.
import { startMetrics } from '@eckd/telemetry';
import { readAppFlags, readLogLevel } from '../app-flags.js';
import type { AppFlags } from '../app-flags.js';
import { ConfigError } from '../config.js';
import { createLogger } from '../logger.js';
import type { Logger, LogLevel } from '../logger.js';
import type { HealthChecks } from './health-checks.js';
import { readOpsConfig } from './ops-config.js';
import type { OpsConfig } from './ops-config.js';
import type { EtcdHealth } from './ops-server.js';
import type { OpsHandlers, OpsRequestHandler } from './ops-server.js';
import { opsRequestHandler, startOpsServer } from './ops-server.js';
import { etcdVersions, readEmulatedEtcdVersion, versionText } from './versions.js';

export interface AppOps {
  readonly config: OpsConfig;
  /** The listener's URLs (empty when off), for the ready log line. */
  readonly urls: readonly string[];
  /** Replaces the "starting" readiness with the app's checks (and /health, when it has its own). */
  serve(checks: { readonly livez?: HealthChecks; readonly readyz: HealthChecks; readonly health?: (query: URLSearchParams) => Promise<EtcdHealth> }): void;
  /** The same endpoints for another listener (the client port's gateway): true when it answered. `/metrics` only while metrics are on. */
  readonly serveRequest: OpsRequestHandler;
  close(): Promise<void>;
}

const starting: HealthChecks = { started: () => Promise.reject(new Error('starting')) };
const alive: HealthChecks = { process: () => Promise.resolve() };

/**
 * Reads the app's command line before anything else starts (the logger
 * needs its level). `--version` prints the versions and exits 0; an unknown
 * flag or a bad --log-level is logged and exits 1, as a bad setting found
 * later does.
 * @param known the app's flags: `serviceFlags` and its own.
 */
export function readAppCommandLine(app: string, argv: readonly string[], env: Record<string, string | undefined>, known: readonly string[]): { flags: AppFlags; logLevel: LogLevel } {
  try {
    const flags = readAppFlags(argv, env, known);
    if (flags.has('version')) {
      process.stdout.write(versionText(app, readEmulatedEtcdVersion(env)));
      process.exit(0);
    }
    return { flags, logLevel: readLogLevel(flags) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger(app).error('start-up failed', { err });
    process.exit(1);
  }
}

/** @throws ConfigError on a bad --listen-metrics-urls or ops setting. */
export async function startAppOps(flags: AppFlags, log: Logger): Promise<AppOps> {
  const config = readOpsConfig(flags);
  let livez = alive;
  let readyz = starting;
  let health: ((query: URLSearchParams) => Promise<EtcdHealth>) | undefined;
  const registry = config.listenMetricsUrls.length === 0 ? undefined : startMetrics();
  const handlers: OpsHandlers = {
    // Getters: the checks change once the app has started.
    get livez() {
      return livez;
    },
    get readyz() {
      return readyz;
    },
    get health() {
      return health;
    },
    versions: etcdVersions(config.emulatedEtcdVersion),
    metrics: registry?.scrape,
    checkTimeoutMs: config.healthCheckTimeoutMs,
    connectionsMax: config.connectionsMax,
  };
  const serve = (checks: Parameters<AppOps['serve']>[0]) => {
    livez = checks.livez ?? alive;
    readyz = checks.readyz;
    health = checks.health;
  };
  const serveRequest = opsRequestHandler(handlers, log);
  if (registry === undefined) return { config, urls: [], serve, serveRequest, close: () => Promise.resolve() };
  const server = await startOpsServer(config.listenMetricsUrls, handlers, log);
  log.info('ops listener', { urls: server.urls });
  return {
    config,
    urls: server.urls,
    serve,
    serveRequest,
    close: async () => {
      await server.close();
      await registry.shutdown();
    },
  };
}
