// One call per app (main.ts) that sets up what operators look at: `--version`,
// the ops listener and, with it, the metrics registry. The listener starts
// before the app's own start-up so /livez answers and /readyz says
// "starting" while it recovers; the app hands over its readiness checks once
// it has built what they check.
import { startMetrics } from '@eckd/telemetry';
import { parseFlags } from '../config.js';
import type { Logger } from '../logger.js';
import type { HealthChecks } from './health-checks.js';
import { listenMetricsUrlsFlag, readOpsConfig } from './ops-config.js';
import type { OpsConfig } from './ops-config.js';
import type { EtcdHealth } from './ops-server.js';
import type { OpsHandlers, OpsRequestHandler } from './ops-server.js';
import { opsRequestHandler, startOpsServer } from './ops-server.js';
import { etcdVersions, exitOnVersionFlag } from './versions.js';

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
 * @param ownsArgv true for apps with no flags of their own: any other flag is refused.
 * @throws ConfigError on a bad flag or setting; exits 0 after printing on `--version`.
 */
export async function startAppOps(app: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>, log: Logger, ownsArgv: boolean): Promise<AppOps> {
  exitOnVersionFlag(argv, app, env);
  if (ownsArgv) parseFlags(argv, [listenMetricsUrlsFlag]);
  const config = readOpsConfig(argv, env);
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
