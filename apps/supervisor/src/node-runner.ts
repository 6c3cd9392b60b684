// Starts one eckd node in order (NATS, database, persister, compactor,
// backend, frontends) and stops it in the reverse order, waiting for each.
import { existsSync, mkdirSync } from 'node:fs';
import type { BackoffPolicy } from './backoff.js';
import type { SupervisorConfig } from './config.js';
import { clientUrls } from './config.js';
import { embeddedDatabaseUrl } from './embedded-postgres.js';
import type { Logger } from './log.js';
import { findFreePort, probeNats } from './net-probe.js';
import { embeddedNatsSpec, natsEndpoints, natsProbeTimeoutMs, planNats } from './nats.js';
import type { NatsUsers } from './nats-auth.js';
import { generateNatsUsers, writeEmbeddedNatsConfig } from './nats-auth.js';
import type { SelfCommand } from './node-apps.js';
import { appScript, embeddedPostgresSpec, nodeAppSpecs } from './node-apps.js';
import type { ChildSpec } from './supervised-child.js';
import { SupervisedChild } from './supervised-child.js';

export const embeddedServiceReadyTimeoutMs = 180_000;
export const appReadyTimeoutMs = 60_000;
const embeddedPostgresHost = '127.0.0.1';

export interface NodeRunnerOptions {
  readonly config: SupervisorConfig;
  readonly log: Logger;
  readonly writeLine: (line: string) => void;
  readonly backoff: BackoffPolicy;
  readonly self: SelfCommand;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** nats-server on PATH, if any. */
  readonly natsBinary: string | undefined;
}

export class StartAbortedError extends Error {
  constructor() {
    super('supervisor: start-up was interrupted by a stop');
    this.name = 'StartAbortedError';
  }
}

export class NodeRunner {
  readonly #options: NodeRunnerOptions;
  /** Each layer of the node, in start order; stopped last to first. */
  readonly #layers: SupervisedChild[][] = [];
  #stopping = false;

  constructor(options: NodeRunnerOptions) {
    this.#options = options;
  }

  /** Starts the whole node; resolves with the client URLs once the frontends are up. */
  async start(): Promise<string[]> {
    const { config, log } = this.#options;
    mkdirSync(config.dataDir, { recursive: true });
    for (const app of ['persister', 'compactor', 'backend', 'etcd-api']) {
      const script = appScript(config.appsDir, app);
      if (!existsSync(script)) throw new Error(`supervisor: ${script} does not exist; build first (npm run build)`);
    }
    const natsUsers = await this.#startNats();
    const databaseUrl = config.databaseUrl ?? (await this.#startEmbeddedPostgres());
    const apps = nodeAppSpecs({ config, natsUrl: config.natsUrl, databaseUrl, nodeExecutable: process.execPath, baseEnv: this.#options.env, natsUsers });
    await this.#startLayer([apps.persister], appReadyTimeoutMs, false);
    await this.#startLayer([apps.compactor], appReadyTimeoutMs, false);
    await this.#startLayer([apps.backend], appReadyTimeoutMs, false);
    await this.#startLayer(apps.frontends, appReadyTimeoutMs, false);
    const urls = clientUrls(config);
    log.info(`client endpoints: ${urls.join(',')}`, { endpoints: urls });
    return urls;
  }

  /** Stops frontends, backend, compactor, persister, database, NATS, each waited for. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const layer of [...this.#layers].reverse()) {
      await Promise.all(layer.map((child) => child.stop()));
    }
  }

  /** SIGKILL to every child, now. */
  killAll(): void {
    this.#stopping = true;
    for (const layer of this.#layers) for (const child of layer) child.kill();
  }

  /** Resolves with the embedded server's users, or undefined when an external NATS is used. */
  async #startNats(): Promise<NatsUsers | undefined> {
    const { config, log } = this.#options;
    const endpoint = natsEndpoints(config.natsUrl)[0]!;
    const probe = await probeNats(endpoint.host, endpoint.port, natsProbeTimeoutMs);
    const plan = planNats(config.natsUrl, probe, this.#options.natsBinary);
    if (plan.kind === 'external') {
      log.info('using the NATS server at NATS_URL', { endpoint: `${endpoint.host}:${endpoint.port}` });
      return undefined;
    }
    const subjectScope = { prefix: config.subjectPrefix, node: config.nodeName };
    const users = generateNatsUsers(subjectScope);
    const configFile = writeEmbeddedNatsConfig(config.dataDir, subjectScope, users);
    log.info('no NATS server answers; starting nats-server', { binary: plan.binary, endpoint: `${endpoint.host}:${endpoint.port}`, configFile, natsAuth: 'user per service' });
    const spec = embeddedNatsSpec({ binary: plan.binary, endpoint: plan.endpoint, dataDir: config.dataDir, configFile, env: this.#options.env });
    await this.#startLayer([spec], embeddedServiceReadyTimeoutMs, true);
    return users;
  }

  async #startEmbeddedPostgres(): Promise<string> {
    const { config, log } = this.#options;
    // Chosen once: a restarted database child comes back on the same port,
    // so the persister's DATABASE_URL stays right.
    const port = await findFreePort(embeddedPostgresHost);
    const spec = embeddedPostgresSpec({ self: this.#options.self, dataDir: config.dataDir, host: embeddedPostgresHost, port, baseEnv: this.#options.env });
    await this.#startLayer([spec], embeddedServiceReadyTimeoutMs, true);
    const url = embeddedDatabaseUrl(embeddedPostgresHost, port);
    log.info('embedded Postgres (PGlite) is serving', { url });
    return url;
  }

  /**
   * Starts children together and waits for their ready lines. A required
   * child (NATS, the database) that dies before it is ready fails the start
   * at once, rather than being retried while the user waits.
   */
  async #startLayer(specs: readonly ChildSpec[], readyTimeoutMs: number, required: boolean): Promise<void> {
    if (this.#stopping) throw new StartAbortedError();
    let diedEarly: (name: string) => void = () => {};
    const died = new Promise<string>((resolve) => (diedEarly = resolve));
    const children = specs.map((spec) => new SupervisedChild({
      spec,
      backoff: this.#options.backoff,
      writeLine: this.#options.writeLine,
      log: this.#options.log,
      onUnexpectedExit: required ? (exit) => diedEarly(exit.name) : undefined,
    }));
    this.#layers.push(children);
    for (const child of children) child.start();
    const allReady = Promise.all(children.map((child) => child.whenReady(readyTimeoutMs)));
    const ready = await Promise.race([allReady, died]);
    if (this.#stopping) throw new StartAbortedError();
    if (typeof ready === 'string') throw new Error(`supervisor: ${ready} exited during start-up (its output is above)`);
    children.forEach((child, index) => {
      if (ready[index]) return;
      if (required) throw new Error(`supervisor: ${child.name} did not become ready within ${readyTimeoutMs} ms`);
      this.#options.log.warn('not ready yet; starting the rest of the node anyway', { child: child.name, readyTimeoutMs });
    });
  }
}
