// Runs what `npm start` runs: one node, or with ECKD_NODES=N a local cluster
// of N members (docs/ARCHITECTURE.md §8.7), each a NodeRunner. NATS is
// decided once for all: if a server answers at member 1's address every
// member uses it; otherwise each member gets its own nats-server, and in a
// cluster those are joined by routes.
import { existsSync } from 'node:fs';
import type { MemberConfig, SupervisorConfig } from './config.js';
import type { Logger } from './log.js';
import { createLogger } from './log.js';
import { probeNats } from './net-probe.js';
import { natsEndpoints, natsProbeTimeoutMs, planNats } from './nats.js';
import type { NatsRoutes } from './nats-auth.js';
import { generateRoutePassword, readRoutePassword } from './nats-auth.js';
import { appScript } from './node-apps.js';
import type { MemberNats, RunnerOptions } from './node-runner.js';
import { NodeRunner, StartAbortedError } from './node-runner.js';

/** The NATS cluster name of a local cluster's servers. */
export const natsClusterName = 'eckd';

export interface ClusterRunnerOptions extends RunnerOptions {
  /** nats-server on PATH, if any. */
  readonly natsBinary: string | undefined;
}

export class ClusterRunner {
  readonly #options: ClusterRunnerOptions;
  readonly #members: NodeRunner[];
  #stopping = false;

  constructor(options: ClusterRunnerOptions) {
    this.#options = options;
    const { config } = options;
    this.#members = config.members.map((member) => new NodeRunner({ ...options, member, log: memberLog(options, member) }));
  }

  /** Starts every member, side by side; resolves with all client URLs once every frontend is up. */
  async start(): Promise<string[]> {
    const { config, log } = this.#options;
    for (const app of ['persister', 'compactor', 'backend', 'etcd-api']) {
      const script = appScript(config.appsDir, app);
      if (!existsSync(script)) throw new Error(`supervisor: ${script} does not exist; build first (npm run build)`);
    }
    const nats = await this.#planNats();
    if (this.#stopping) throw new StartAbortedError();
    // Every nats-server first: a member's apps may talk to peers as soon as they run.
    await Promise.all(this.#members.map((runner, index) => runner.startNats(nats[index]!)));
    const urls = await Promise.all(this.#members.map((runner) => runner.startApps()));
    if (config.nodes > 1) {
      const members = Object.fromEntries(config.members.map((member, index) => [member.nodeName, urls[index]]));
      log.info(`local cluster of ${config.nodes} members serving: ${urls.map((memberUrls) => memberUrls[0]).join(',')}`, { members });
    }
    return urls.flat();
  }

  /** Stops every member (each in its own order), side by side. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#members.map((runner) => runner.stop()));
  }

  /** SIGKILL to every child of every member, now. */
  killAll(): void {
    this.#stopping = true;
    for (const runner of this.#members) runner.killAll();
  }

  /** What each member does about NATS, from a probe of member 1's address. */
  async #planNats(): Promise<MemberNats[]> {
    const { config, log } = this.#options;
    const first = config.members[0]!;
    const endpoint = natsEndpoints(first.natsUrl)[0]!;
    const probe = await probeNats(endpoint.host, endpoint.port, natsProbeTimeoutMs);
    const plan = planNats(first.natsUrl, probe, this.#options.natsBinary);
    if (plan.kind === 'external') {
      log.info('using the NATS server at NATS_URL', { endpoint: `${endpoint.host}:${endpoint.port}`, ...(config.nodes > 1 ? { sharedBy: config.nodes } : {}) });
      return config.members.map(() => ({ kind: 'external', natsUrl: first.natsUrl }));
    }
    // A joining member's server routes to the running cluster with that cluster's password.
    const routePassword = config.join ? readRoutePassword(config.join.dataDir) : generateRoutePassword();
    return config.members.map((member) => ({ kind: 'embedded', binary: plan.binary, routes: memberRoutes(config, member, routePassword) }));
  }
}

/** A member's routes to every other member's server; none for a single node. */
function memberRoutes(config: SupervisorConfig, member: MemberConfig, password: string): NatsRoutes | undefined {
  if (member.natsClusterPort === undefined) return undefined;
  const routeEndpoint = (m: MemberConfig) => ({ host: natsEndpoints(m.natsUrl)[0]!.host, port: m.natsClusterPort ?? 0 });
  return {
    clusterName: natsClusterName,
    serverName: member.nodeName,
    listen: routeEndpoint(member),
    password,
    // A joining member's server dials its join member's; the routed servers tell it of the others.
    peers: config.join ? [routeEndpoint(config.join)] : config.members.filter((peer) => peer !== member).map(routeEndpoint),
  };
}

/** What the supervisor logs about a member of a local cluster names it (`"node":"node2"`). */
function memberLog(options: ClusterRunnerOptions, member: MemberConfig): Logger {
  if (member.label === '') return options.log;
  return createLogger('supervisor', options.writeLine, { node: member.label });
}
