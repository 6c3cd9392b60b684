// Helper shared by the cut agreement's spec files (not used by the backend
// itself): members on a real nats-server, each voter with its own persister
// process (the built app) on a fresh Postgres database, so a voter's state
// is persisted by the append that carries it and restored by the load, as a
// backend does.
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Lineage } from '@eckd/automerge-doc';
import { clusterSubjects, codecs, nodeSubjects } from '@eckd/change-codec';
import type { CutAcceptorState, CutProposal } from '@eckd/change-codec';
import { NatsMessenger } from '@eckd/service-kit';
import type { Logger } from '@eckd/service-kit';
import { builtAppMain, createTestDatabase, isReadyLine, randomHex, repoRoot, startNatsServer, startProcess } from '@eckd/testing';
import type { NatsServer, ProcessHandle, TestDatabase } from '@eckd/testing';
import { nodeIdentity } from '../src/identity.js';
import { CutAcceptor } from '../src/peers/cut-acceptor.js';
import { CutDecisionWait } from '../src/peers/cut-decision-wait.js';
import { CutLink } from '../src/peers/cut-link.js';
import { CutProposer } from '../src/peers/cut-proposer.js';
import type { CutAgreementLimits } from '../src/peers/cut-proposer.js';
import { PeerLink } from '../src/peers/peer-link.js';
import type { PeerMember } from '../src/peers/peer-link.js';

const clusterName = 'cut-spec';

function memberOf(name: string, band: number): PeerMember {
  return { name, band, id: String(nodeIdentity(clusterName, name).member_id) };
}

/** The specs' cluster: three voters and a learner (node4). */
export const cutTestMembers = (() => {
  const [one, two, three, learner] = [memberOf('node1', 0), memberOf('node2', 1), memberOf('node3', 2), memberOf('node4', 3)] as const;
  return Object.freeze({ one, two, three, learner, all: [one, two, three, learner], voters: [one, two, three] });
})();

/** One member's agreement: its acceptor, link and proposer, and what the spec controls. */
export interface CutTestMember {
  member: PeerMember;
  acceptor: CutAcceptor;
  link: CutLink;
  peerLink: PeerLink;
  proposer: CutProposer;
  /** the heads this member's document holds (the acceptor's `holds`) */
  held: Set<string>;
  decided: CutProposal[];
  /** Stops answering and proposing: a member killed. */
  stop(): void;
}

/** A persister of one voter on its own database. */
interface VoterStorage {
  db: TestDatabase;
  persister: ProcessHandle;
}

export class CutTestCluster {
  readonly #server: NatsServer;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #connections: NatsConnection[] = [];
  readonly #storage = new Map<string, VoterStorage>();
  readonly #members: CutTestMember[] = [];

  private constructor(server: NatsServer, prefix: string, log: Logger) {
    this.#server = server;
    this.#prefix = prefix;
    this.#log = log;
  }

  /** Starts a nats-server, and a persister for each voter name (its node name) on a fresh database. */
  static async start(voterNames: readonly string[], log: Logger): Promise<CutTestCluster> {
    const cluster = new CutTestCluster(await startNatsServer({ jetstream: false }), `cut${randomHex(4)}`, log);
    await Promise.all(voterNames.map((name) => cluster.#startPersister(name)));
    return cluster;
  }

  /**
   * A member (a voter unless `learner`) on `lineage`, knowing `all` as the
   * cluster. A voter's acceptor starts from what its persister's load returns,
   * as after a backend restart.
   */
  async member(
    name: string,
    opts: {
      all: readonly PeerMember[];
      voters: readonly PeerMember[];
      lineage: Lineage;
      limits: CutAgreementLimits;
      learner?: boolean;
      /** runs a prepare itself for a value it accepted when no decision comes, as CutAgreement does (cut-decision-wait.ts) */
      ownPrepare?: boolean;
    },
  ): Promise<CutTestMember> {
    const self = opts.all.find((m) => m.name === name)!;
    const nc = await connect({ servers: this.#server.url });
    this.#connections.push(nc);
    const messenger = new NatsMessenger(nc, { log: this.#log });
    const subjects = clusterSubjects(this.#prefix);
    const identity = nodeIdentity(clusterName, name);
    const others = new Map(opts.all.filter((m) => m.id !== self.id).map((m) => [m.id, m]));
    const peerLink = new PeerLink({ messenger, subjects, identity, self, peers: { peer: (id) => others.get(id) }, lineage: () => opts.lineage, lineageNoticeIntervalMs: 60_000, log: this.#log });
    const held = new Set<string>();
    const decided: CutProposal[] = [];
    // This incarnation's load: its appends carry the epoch it claimed (a later load fences them).
    const loaded = opts.learner ? { states: [], fencingEpoch: 0 } : await this.#load(name, messenger);
    const acceptor = new CutAcceptor({
      isVoter: () => !opts.learner,
      holds: (heads) => heads.every((h) => held.has(h)),
      persist: opts.learner ? () => Promise.reject(new Error('a learner persists no vote')) : (state) => this.#persist(name, loaded.fencingEpoch, messenger, state),
      roundTimeoutMs: opts.limits.roundTimeoutMs,
      stored: loaded.states,
      // Wired as CutAgreement wires them.
      onDecided: (proposal) => {
        proposer.heard(proposal);
        wait?.decided(proposal);
        decided.push(proposal);
      },
      onAccepted: (proposal) => wait?.accepted(proposal),
      log: this.#log,
    });
    const link = new CutLink({ messenger, subjects, identity, self, link: peerLink, lineage: () => opts.lineage, acceptor, log: this.#log });
    const proposer = new CutProposer({
      self,
      voters: () => opts.voters,
      members: () => opts.all,
      ask: (to, step, timeoutMs) => link.ask(to, step, timeoutMs),
      learned: (proposal) => acceptor.decided(proposal),
      limits: opts.limits,
      log: this.#log,
    });
    const isNextCut = (p: CutProposal) => p.lineage === opts.lineage.id && Number(p.cut) === opts.lineage.cut + 1;
    const wait = opts.ownPrepare
      ? new CutDecisionWait({ proposer, decision: (lineage, cut) => acceptor.decision(lineage, cut), isNextCut, roundTimeoutMs: opts.limits.roundTimeoutMs, log: this.#log })
      : undefined;
    peerLink.start(() => undefined);
    link.start();
    for (const state of loaded.states) if (state.accepted?.proposal) wait?.accepted(state.accepted.proposal);
    await nc.flush();
    const stop = () => {
      wait?.stop();
      link.stop();
      peerLink.stop();
      proposer.stop();
      acceptor.close();
    };
    const member: CutTestMember = { member: self, acceptor, link, peerLink, proposer, held, decided, stop };
    this.#members.push(member);
    return member;
  }

  async stop(): Promise<void> {
    for (const m of this.#members) m.stop();
    for (const nc of this.#connections) await nc.close();
    for (const s of this.#storage.values()) {
      await s.persister.stop();
      await s.db.drop();
    }
    await this.#server.stop();
  }

  async #startPersister(name: string): Promise<void> {
    const db = await createTestDatabase();
    const persister = await startProcess({
      name: `${name}/persister`,
      command: process.execPath,
      args: ['--enable-source-maps', builtAppMain('persister')],
      env: { NATS_URL: this.#server.url, ECKD_SUBJECT_PREFIX: this.#prefix, ECKD_NODE_NAME: name, DATABASE_URL: db.url },
      cwd: repoRoot(),
      readyLine: isReadyLine,
      readyTimeoutMs: 60_000,
    });
    this.#storage.set(name, { db, persister });
  }

  /** The load a backend makes at start: it claims the next fencing epoch and returns the voter's states on its last chunk. */
  async #load(name: string, messenger: NatsMessenger): Promise<{ states: CutAcceptorState[]; fencingEpoch: number }> {
    const subject = nodeSubjects({ prefix: this.#prefix, node: name }).load;
    for await (const m of messenger.requestStream(subject, codecs.loadRequest.encode({ backend: randomHex(8) }), { chunkTimeoutMs: 10_000 })) {
      const chunk = codecs.loadChunk.decode(m.data);
      if (chunk.error) throw new Error(`load failed: ${chunk.error.message}`);
      if (!chunk.done) continue;
      return { states: chunk.cut_acceptor_states ?? [], fencingEpoch: Number(chunk.fencing_epoch) };
    }
    throw new Error('load ended without its last chunk');
  }

  /** The append a batch would carry the state in: here alone (no change, no revision), outside the append chain. */
  async #persist(name: string, fencingEpoch: number, messenger: NatsMessenger, state: CutAcceptorState): Promise<void> {
    const request = {
      actor: new Uint8Array(0),
      seq: 0,
      change: new Uint8Array(0),
      first_revision: 0,
      last_revision: 0,
      patch_batch: new Uint8Array(0),
      compacted: false,
      compact_revision: 0,
      fencing_epoch: fencingEpoch,
      append_index: 0,
      cut_acceptor: state,
    };
    const reply = codecs.appendReply.decode((await messenger.request(nodeSubjects({ prefix: this.#prefix, node: name }).append, codecs.appendRequest.encode(request), { timeoutMs: 10_000 })).data);
    if (reply.error) throw new Error(`append failed: ${reply.error.message}`);
  }
}
