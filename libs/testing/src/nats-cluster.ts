// N nats-servers joined into one NATS cluster whose every route runs
// through a TCP proxy of its own (one per ordered pair: i dials j through
// proxy i→j), so link(i, j).cut() partitions two servers for real.
//
// Servers gossip the cluster address of every peer they meet and dial it
// directly ("implicit routes"), which would bypass a cut proxy. nats-server
// has no switch for that, so every server advertises the cluster address
// of a listener that resets every connection: implicit routes fail and only
// the configured, proxied routes exist. `--no_advertise` keeps the servers
// from telling their clients about the other servers, so a client stays on
// its own server and does not fail over across a partition.
import type { Stoppable } from './dispose.js';
import { freePort, randomHex } from './free-port.js';
import { isPortClash, portClashAttemptsMax, startNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';
import { startTcpProxy } from './tcp-proxy.js';
import type { CutMode, ProxyState, TcpProxy } from './tcp-proxy.js';
import { waitUntil } from './wait.js';

export const natsRoutesTimeoutMsDefault = 20_000;

export interface NatsClusterOptions {
  /** Default 3. */
  servers?: number;
  /** NATS cluster name; default a random one. */
  name?: string;
  /**
   * Default true, as for one server. Clustered JetStream elects a meta
   * leader over the routes and serves its API only on a side with a
   * majority; eckd's peers use core NATS, so a test may turn it off.
   */
  jetstream?: boolean;
  /** Extra nats-server arguments for every server. */
  args?: readonly string[];
  /** Bound on waiting for the routes to form at start; default natsRoutesTimeoutMsDefault. */
  routesTimeoutMs?: number;
}

export interface NatsClusterServer {
  readonly index: number;
  /** nats-server's server_name: `s<index>`. */
  readonly name: string;
  /** Client URL, nats://127.0.0.1:<port>. */
  readonly url: string;
  readonly clusterPort: number;
  readonly monitorPort: number;
  readonly server: NatsServer;
}

/** Both directions of the route between two servers. */
export interface NatsLink {
  readonly state: ProxyState;
  cut(mode?: CutMode): void;
  restore(): void;
}

export interface NatsCluster extends Stoppable {
  readonly name: string;
  readonly servers: readonly NatsClusterServer[];
  /** Server `i`; throws if there is none. */
  server(i: number): NatsClusterServer;
  link(i: number, j: number): NatsLink;
  /** The proxy server `from` dials to reach server `to`. */
  proxy(from: number, to: number): TcpProxy;
  /** Indexes of the servers server `i` has a route to now (from its /routez). */
  routedPeers(i: number): Promise<number[]>;
  /**
   * Waits until every forwarding link has its route and no link cut by
   * `reset` has one (a blackholed route lingers until NATS's ping gives up,
   * so those are not checked).
   */
  waitForRoutes(timeoutMs?: number): Promise<void>;
}

interface MonitorVarz {
  server_id: string;
}
interface MonitorRoutez {
  routes?: { remote_id: string }[] | null;
}

async function monitorJson<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`testing: nats monitor ${port}${path} answered ${res.status}`);
  return (await res.json()) as T;
}

export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const count = opts.servers ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`testing: a NATS cluster needs at least one server, got ${count}`);
  const name = opts.name ?? `nc${randomHex(4)}`;
  const owned: Stoppable[] = [];
  const stop = async () => {
    await Promise.all(owned.splice(0).map((s) => s.stop()));
  };

  try {
    const refuser = await startTcpProxy({ targetPort: 1 });
    refuser.cut('reset');
    owned.push(refuser);

    const ports: { cluster: number; monitor: number }[] = [];
    for (let i = 0; i < count; i++) ports.push({ cluster: await freePort(), monitor: await freePort() });
    // proxies[from][to]; undefined on the diagonal.
    const proxies: (TcpProxy | undefined)[][] = [];
    for (let from = 0; from < count; from++) {
      const row: (TcpProxy | undefined)[] = [];
      for (const [to, { cluster }] of ports.entries()) {
        const proxy = from === to ? undefined : await startTcpProxy({ targetPort: cluster });
        if (proxy) owned.push(proxy);
        row.push(proxy);
      }
      proxies.push(row);
    }
    const proxy = (from: number, to: number): TcpProxy => {
      const p = proxies[from]?.[to];
      if (!p) throw new Error(`testing: no route proxy from server ${from} to server ${to} (cluster of ${count})`);
      return p;
    };

    const started = await Promise.allSettled(
      ports.map(({ cluster, monitor }, i) => {
        const routes = (proxies[i] ?? []).flatMap((p) => (p ? [`nats://127.0.0.1:${p.port}`] : []));
        const args = [
          '--server_name', `s${i}`,
          '--cluster_name', name,
          '--cluster', `nats://127.0.0.1:${cluster}`,
          '--cluster_advertise', `127.0.0.1:${refuser.port}`,
          '--no_advertise',
          ...(routes.length > 0 ? ['--routes', routes.join(',')] : []),
          ...(opts.args ?? []),
        ];
        return startClusterServer(args, monitor, opts.jetstream ?? true, (port) => (ports[i]!.monitor = port));
      }),
    );
    for (const r of started) if (r.status === 'fulfilled') owned.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;

    const servers: NatsClusterServer[] = started.flatMap((r, index) => {
      const p = ports[index];
      if (r.status !== 'fulfilled' || !p) return [];
      return [{ index, name: `s${index}`, url: r.value.url, clusterPort: p.cluster, monitorPort: p.monitor, server: r.value }];
    });
    const server = (i: number): NatsClusterServer => {
      const s = servers[i];
      if (!s) throw new Error(`testing: no server ${i} in NATS cluster ${name} of ${count}`);
      return s;
    };

    const link = (i: number, j: number): NatsLink => {
      const there = proxy(i, j);
      const back = proxy(j, i);
      return {
        get state() {
          return there.state;
        },
        cut(mode: CutMode = 'reset') {
          there.cut(mode);
          back.cut(mode);
        },
        restore() {
          there.restore();
          back.restore();
        },
      };
    };

    const routedPeers = async (i: number): Promise<number[]> => {
      // Server ids are new on every start, so map them afresh each time.
      const ids = await Promise.all(servers.map((s) => monitorJson<MonitorVarz>(s.monitorPort, '/varz')));
      const routez = await monitorJson<MonitorRoutez>(server(i).monitorPort, '/routez');
      const peers = new Set<number>();
      for (const route of routez.routes ?? []) {
        const peer = ids.findIndex((v) => v.server_id === route.remote_id);
        if (peer >= 0) peers.add(peer);
      }
      return [...peers].sort((a, b) => a - b);
    };

    const routesAsLinksSay = async (): Promise<boolean> => {
      for (let i = 0; i < count; i++) {
        const peers = new Set(await routedPeers(i));
        for (let j = 0; j < count; j++) {
          if (j === i) continue;
          const state = proxy(i, j).state;
          if (state === 'forwarding' && !peers.has(j)) return false;
          if (state === 'reset' && peers.has(j)) return false;
        }
      }
      return true;
    };
    const waitForRoutes = (timeoutMs = natsRoutesTimeoutMsDefault) =>
      waitUntil(routesAsLinksSay, timeoutMs, `the routes of NATS cluster ${name} to match its links`);

    await waitForRoutes(opts.routesTimeoutMs);
    return { name, servers, server, link, proxy, routedPeers, waitForRoutes, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One server of the cluster, on `monitor` for its monitoring port or, when
 * another process took that port meanwhile, on a fresh one (told to
 * `onMonitorPort`). Its cluster port is fixed: the route proxies point at it.
 */
async function startClusterServer(args: string[], monitor: number, jetstream: boolean, onMonitorPort: (port: number) => void): Promise<NatsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsServer({ jetstream, args: [...args, '-m', String(monitor)] });
    } catch (err) {
      if (!isPortClash(err) || attempt >= portClashAttemptsMax) throw err;
      monitor = await freePort();
      onMonitorPort(monitor);
    }
  }
}
