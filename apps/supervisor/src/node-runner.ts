// Starts one eckd node (a member) in order (NATS, database, persister,
// compactor, backend, frontends) and stops it in the reverse order, waiting
// for each. cluster-runner.ts decides about NATS and runs one per member.
import { mkdirSync } from 'node:fs';
import type { BackoffPolicy } from './backoff.js';
import type { MemberConfig, SupervisorConfig } from './config.js';
import { clientUrls, opsPorts } from './config.js';
import { embeddedDatabaseUrl } from './embedded-postgres.js';
import type { Logger } from './log.js';
import { ensureDatabase } from './member-database.js';
import { findFreePort } from './net-probe.js';
import { embeddedNatsSpec, natsEndpoints } from './nats.js';
import type { NatsRoutes, NatsUsers } from './nats-auth.js';
import { generateNatsUsers, writeEmbeddedNatsConfig } from './nats-auth.js';
import type { SelfCommand } from './node-apps.js';
import { embeddedPostgresSpec, nodeAppSpecs } from './node-apps.js';
import type { ChildSpec } from './supervised-child.js';
import { SupervisedChild } from './supervised-child.js';

export const embeddedServiceReadyTimeoutMs = 180_000;
export const appReadyTimeoutMs = 60_000;
const embeddedPostgresHost = '127.0.0.1';

/** What every runner needs: the configuration and how to start, log and restart children. */
export interface RunnerOptions {
  readonly config: SupervisorConfig;
  readonly log: Logger;
  readonly writeLine: (line: string) => void;
  readonly backoff: BackoffPolicy;
  readonly self: SelfCommand;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface NodeRunnerOptions extends RunnerOptions {
  readonly member: MemberConfig;
  /** The member's own log: its lines carry the member's name in a local cluster. */
  readonly log: Logger;
}

/** How the member reaches NATS: a server that already answers, or one the supervisor runs for it. */
export type MemberNats =
  | { readonly kind: 'external'; readonly natsUrl: string }
  | { readonly kind: 'embedded'; readonly binary: string; readonly routes: NatsRoutes | undefined };

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
  #natsUrl: string;
  #natsUsers: NatsUsers | undefined;

  constructor(options: NodeRunnerOptions) {
    this.#options = options;
    this.#natsUrl = options.member.natsUrl;
  }

  /** The member's NATS: nothing to start when it is external; otherwise its nats-server, ready. */
  async startNats(nats: MemberNats): Promise<void> {
    const { config, member, log } = this.#options;
    mkdirSync(member.dataDir, { recursive: true });
    if (nats.kind === 'external') {
      this.#natsUrl = nats.natsUrl;
      return;
    }
    const endpoint = natsEndpoints(member.natsUrl)[0]!;
    const subjectScope = { prefix: config.subjectPrefix, node: member.nodeName };
    const users = generateNatsUsers(subjectScope);
    const configFile = writeEmbeddedNatsConfig(member.dataDir, subjectScope, users, nats.routes);
    const routes = nats.routes === undefined ? {} : { clusterPort: nats.routes.listen.port, routes: nats.routes.peers.map((peer) => `${peer.host}:${peer.port}`) };
    log.info('no NATS server answers; starting nats-server', { binary: nats.binary, endpoint: `${endpoint.host}:${endpoint.port}`, configFile, natsAuth: 'user per service', ...routes });
    const spec = embeddedNatsSpec({ binary: nats.binary, endpoint, dataDir: member.dataDir, configFile, env: this.#options.env });
    await this.#startLayer([spec], embeddedServiceReadyTimeoutMs, true);
    this.#natsUsers = users;
  }

  /** Starts the rest of the node once its NATS serves; resolves with its client URLs once the frontends are up. */
  async startApps(): Promise<string[]> {
    const { config, member, log } = this.#options;
    const databaseUrl = member.databaseUrl === undefined ? await this.#startEmbeddedPostgres() : await this.#memberDatabase(member.databaseUrl);
    const apps = nodeAppSpecs({ config, member, natsUrl: this.#natsUrl, databaseUrl, nodeExecutable: process.execPath, baseEnv: this.#options.env, natsUsers: this.#natsUsers });
    await this.#startLayer([apps.persister], appReadyTimeoutMs, false);
    await this.#startLayer([apps.compactor], appReadyTimeoutMs, false);
    await this.#startLayer([apps.backend], appReadyTimeoutMs, false);
    await this.#startLayer(apps.frontends, appReadyTimeoutMs, false);
    const urls = clientUrls(config, member.clientPorts);
    log.info(`client endpoints: ${urls.join(',')}`, { endpoints: urls });
    const ports = opsPorts(member, config.metricsPortOffset);
    if (ports) {
      const [backend, persister, compactor, ...frontends] = clientUrls({ clientHost: config.clientHost, clientScheme: 'http' }, [ports.backend, ports.persister, ports.compactor, ...ports.frontends]);
      log.info(`ops endpoints (/livez /readyz /health /version /metrics): backend ${backend}, persister ${persister}, compactor ${compactor}, etcd-api ${frontends.join(',')}`, { backend, persister, compactor, frontends });
    }
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

  /** In a local cluster on one Postgres server, the member's own database, created if missing. */
  async #memberDatabase(url: string): Promise<string> {
    if (this.#options.member.label === '') return url;
    if (this.#stopping) throw new StartAbortedError();
    if (await ensureDatabase(url)) this.#options.log.info('created the member database', { database: new URL(url).pathname.slice(1) });
    return url;
  }

  async #startEmbeddedPostgres(): Promise<string> {
    const { member, log } = this.#options;
    // Chosen once: a restarted database child comes back on the same port,
    // so the persister's DATABASE_URL stays right.
    const port = await findFreePort(embeddedPostgresHost);
    const spec = embeddedPostgresSpec({ self: this.#options.self, dataDir: member.dataDir, host: embeddedPostgresHost, port, baseEnv: this.#options.env });
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
    const { label } = this.#options.member;
    const children = specs.map((spec) => new SupervisedChild({
      spec: label === '' ? spec : { ...spec, name: `${label}/${spec.name}` },
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
