// A cluster of eckd nodes on this machine, as docs/ARCHITECTURE.md §8
// describes it: member i (`node1`…) has its own nats-server, joined to the
// others by routes through cuttable proxies (nats-cluster.ts), and its own
// fresh Postgres database; all share one subject prefix and cluster name.
// partition() and heal() cut and restore the routes, kill() crashes one
// process; stopping stops every process and drops every database.
import type { Stoppable } from './dispose.js';
import { randomHex, subjectPrefix as newSubjectPrefix } from './free-port.js';
import { startNatsCluster } from './nats-cluster.js';
import type { NatsCluster } from './nats-cluster.js';
import { startNode } from './node.js';
import type { EckdNode } from './node.js';
import type { ProcessHandle } from './process.js';
import type { CutMode } from './tcp-proxy.js';
import { createTestDatabase } from './test-database.js';
import type { TestDatabase } from './test-database.js';

export interface ClusterOptions {
  /** Members; default 3. */
  nodes?: number;
  /** ECKD_CLUSTER_NAME of every node, also the NATS cluster's name; default a random one. */
  clusterName?: string;
  /** ECKD_SUBJECT_PREFIX of every node; default a fresh one. */
  subjectPrefix?: string;
  /** etcd-api processes per node; default 1. */
  frontends?: number;
  /** Extra environment for every process of every node. */
  env?: Record<string, string>;
  /** Extra environment for the processes of member `index` (after `env`), e.g. its peers. */
  nodeEnv?: (index: number, nodeName: string) => Record<string, string>;
  /** JetStream on the nats-servers; default true (see NatsClusterOptions). */
  jetstream?: boolean;
  /** Per process; default startNode's. */
  readyTimeoutMs?: number;
  /**
   * The last `startLater` members get their nats-server (routed like the
   * others) and database but no node until `startMember`; default 0.
   */
  startLater?: number;
}

export interface ClusterMember {
  readonly index: number;
  /** `node<index + 1>` */
  readonly nodeName: string;
  /** Its own nats-server's client URL. */
  readonly natsUrl: string;
  readonly database: TestDatabase;
  readonly node: EckdNode;
  /** '127.0.0.1:<port>' per frontend. */
  readonly endpoints: readonly string[];
}

export type ClusterProcess = 'persister' | 'backend' | 'frontend' | 'nats';

export interface ClusterKillOptions {
  /** Default SIGKILL (a crash). */
  signal?: NodeJS.Signals;
  /** Which frontend when killing one; default 0. */
  frontend?: number;
}

export interface Cluster extends Stoppable {
  readonly clusterName: string;
  readonly subjectPrefix: string;
  readonly nats: NatsCluster;
  readonly members: readonly ClusterMember[];
  /** Member `i`; throws if there is none (or it is not started yet). */
  member(i: number): ClusterMember;
  /** Starts the node of member `i`, one of the `startLater` ones, on its own nats-server and database. */
  startMember(i: number): Promise<ClusterMember>;
  /**
   * Cuts every route between members of different groups (in `mode`,
   * default reset), restores every route within a group, and waits until
   * the routes match. Every member must be in exactly one group.
   */
  partition(groups: readonly (readonly number[])[], mode?: CutMode): Promise<void>;
  /** Restores every route and waits until all are up. */
  heal(): Promise<void>;
  /** Kills one process of member `i` and waits for it to exit; returns its handle (restart() brings it back). */
  kill(i: number, process: ClusterProcess, opts?: ClusterKillOptions): Promise<ProcessHandle>;
  /** Every OS process the cluster started: nats-servers and node processes. */
  processes(): ProcessHandle[];
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const count = opts.nodes ?? 3;
  const startedFirst = count - (opts.startLater ?? 0);
  if (!Number.isInteger(startedFirst) || startedFirst < 1 || startedFirst > count) throw new Error(`testing: startLater must leave 1 to ${count} members started`);
  const clusterName = opts.clusterName ?? `c${randomHex(4)}`;
  const subjectPrefix = opts.subjectPrefix ?? newSubjectPrefix();
  const nats = await startNatsCluster({ servers: count, name: clusterName, jetstream: opts.jetstream });
  const databases: TestDatabase[] = [];
  const nodes: EckdNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await Promise.all([nats.stop(), ...databases.splice(0).map((d) => d.drop())]);
  };

  try {
    for (let i = 0; i < count; i++) databases.push(await createTestDatabase());
    // Each node is started as startNode always does.
    const nodeOf = (i: number) => {
      const nodeName = `node${i + 1}`;
      return startNode({
        natsUrl: nats.server(i).url,
        databaseUrl: databaseOf(databases, i).url,
        subjectPrefix,
        nodeName,
        frontends: opts.frontends,
        env: { ECKD_CLUSTER_NAME: clusterName, ...opts.env, ...opts.nodeEnv?.(i, nodeName) },
        readyTimeoutMs: opts.readyTimeoutMs,
      });
    };
    const memberOf = (node: EckdNode, index: number): ClusterMember => ({
      index,
      nodeName: node.nodeName,
      natsUrl: nats.server(index).url,
      database: databaseOf(databases, index),
      node,
      endpoints: node.endpoints,
    });
    // The first ones start side by side.
    const started = await Promise.allSettled(Array.from({ length: startedFirst }, (_, i) => nodeOf(i)));
    for (const r of started) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;

    const members: ClusterMember[] = nodes.map(memberOf);
    const member = (i: number): ClusterMember => {
      const m = members[i];
      if (!m) throw new Error(`testing: no member ${i} started in a cluster of ${count}`);
      return m;
    };
    const startMember = async (i: number): Promise<ClusterMember> => {
      if (!Number.isInteger(i) || i < startedFirst || i >= count) throw new Error(`testing: member ${i} is not one started later (${startedFirst}..${count - 1})`);
      if (members[i]) throw new Error(`testing: member ${i} is started already`);
      // In index order, so members[i] is member i.
      if (members.length !== i) throw new Error(`testing: start member ${members.length} before member ${i}`);
      const node = await nodeOf(i);
      nodes.push(node);
      const m = memberOf(node, i);
      members.push(m);
      return m;
    };

    const partition = async (groups: readonly (readonly number[])[], mode: CutMode = 'reset') => {
      const groupOf = groupIndexes(groups, count);
      for (let i = 0; i < count; i++) {
        for (let j = i + 1; j < count; j++) {
          const link = nats.link(i, j);
          if (groupOf[i] !== groupOf[j]) {
            if (link.state !== mode) link.cut(mode);
          } else if (link.state !== 'forwarding') {
            link.restore();
          }
        }
      }
      await nats.waitForRoutes();
    };

    const processOf = (i: number, which: ClusterProcess, frontend = 0): ProcessHandle => {
      const { processes } = member(i).node;
      if (which === 'nats') return nats.server(i).server.process;
      if (which === 'frontend') {
        const p = processes.frontends[frontend];
        if (!p) throw new Error(`testing: member ${i} has no frontend ${frontend}`);
        return p;
      }
      return processes[which];
    };

    return {
      clusterName,
      subjectPrefix,
      nats,
      members,
      member,
      startMember,
      partition,
      heal: () => partition([Array.from({ length: count }, (_, i) => i)]),
      async kill(i, which, killOpts = {}) {
        const proc = processOf(i, which, killOpts.frontend);
        proc.kill(killOpts.signal ?? 'SIGKILL');
        await proc.exited;
        return proc;
      },
      processes: () => [
        ...nats.servers.map((s) => s.server.process),
        ...members.flatMap(({ node: { processes: p } }) => [p.persister, p.backend, ...p.frontends]),
      ],
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function databaseOf(databases: readonly TestDatabase[], index: number): TestDatabase {
  const database = databases[index];
  if (!database) throw new Error(`testing: no database for member ${index}`);
  return database;
}

/** groupOf[member] for a partition; throws unless every member is in exactly one group. */
function groupIndexes(groups: readonly (readonly number[])[], count: number): number[] {
  const groupOf: number[] = new Array<number>(count).fill(-1);
  groups.forEach((group, g) => {
    for (const m of group) {
      if (!Number.isInteger(m) || m < 0 || m >= count) throw new Error(`testing: partition names member ${m}, cluster has 0..${count - 1}`);
      if (groupOf[m] !== -1) throw new Error(`testing: partition names member ${m} twice`);
      groupOf[m] = g;
    }
  });
  const missing = groupOf.findIndex((g) => g === -1);
  if (missing !== -1) throw new Error(`testing: partition leaves out member ${missing}`);
  return groupOf;
}
