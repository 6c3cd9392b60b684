// The NATS side of the agreement on a history cut (docs/ARCHITECTURE.md
// §8.10): serves `<p>.peers.<member>.cut.v1` for this member's acceptor and
// asks the other voters for the proposer. A request is checked as every
// peer message is (peer-link.ts: this cluster, a current member) and, except
// a status question, by the lineage rule: a prepare, accept or decision is
// about the next cut of the sender's lineage, so it passes only when that is
// this member's lineage (lineage-gate.ts; an older sender is told by
// CutNotice), unless this member knows that cut's decision: then it is
// answered with it (CutReply.decided). Whatever is refused is answered `ok: false` with this member's
// lineage, so the asker does not wait out its timeout.
import { lineageIdOnWire } from '@eckd/automerge-doc';
import type { Lineage } from '@eckd/automerge-doc';
import { cutCodecs, unknownWireError, validated, validators } from '@eckd/change-codec';
import type { ClusterSubjects, CutReply, CutRequest, NodeIdentity } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { CutAcceptor, CutAnswer } from './cut-acceptor.js';
import type { PeerLink, PeerMember } from './peer-link.js';

/** One step of the agreement as the proposer sends it; the link adds the cluster and the sender. */
export type CutStep = Omit<CutRequest, 'cluster_id' | 'from'>;

export interface CutLinkOptions {
  messenger: Messenger;
  subjects: ClusterSubjects;
  identity: NodeIdentity;
  self: PeerMember;
  /** The replication's link: its member, cluster and lineage checks (and their counts). */
  link: Pick<PeerLink, 'admit'>;
  /** This member's lineage now (its document's). */
  lineage: () => Lineage;
  acceptor: CutAcceptor;
  log: Logger;
}

export class CutLink {
  readonly #opts: CutLinkOptions;
  #subscription: { unsubscribe(): void } | undefined;

  constructor(opts: CutLinkOptions) {
    this.#opts = opts;
  }

  start(): void {
    const { messenger, subjects, self, log } = this.#opts;
    this.#subscription = messenger.subscribe(subjects.cut(self.name), async (msg) => {
      let reply: CutReply;
      try {
        const request = decodeChecked(msg, cutCodecs.cutRequest, validators.cutRequest, log);
        // A step about a cut this member knows decided (also one it has switched from) is answered with the decision, not gated.
        const gated = !request.status && !this.#opts.acceptor.decision(request.lineage, String(request.cut));
        const from = this.#opts.link.admit(request.cluster_id, request.from, msg.subject, gated ? stampOfRequest(request) : undefined);
        reply = this.#withLineage(from ? await this.#answer(request) : { ok: false });
      } catch (err) {
        // decodeChecked counted and logged it.
        reply = this.#withLineage({ ok: false, error: unknownWireError(err) });
      }
      msg.respond(cutCodecs.cutReply.encode(reply));
    });
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  /** Sends one step to `to` (this member's own acceptor directly) and gives its checked reply; rejects on no answer within `timeoutMs`. */
  async ask(to: PeerMember, step: CutStep, timeoutMs: number): Promise<CutReply> {
    const { identity, messenger, subjects } = this.#opts;
    const request: CutRequest = { cluster_id: String(identity.cluster_id), from: String(identity.member_id), ...step };
    if (to.id === this.#opts.self.id) return this.#withLineage(await this.#answer(request));
    const msg = await messenger.request(subjects.cut(to.name), cutCodecs.cutRequest.encode(request), { timeoutMs });
    return validated(cutCodecs.cutReply.decode(msg.data), validators.cutReply);
  }

  #answer(request: CutRequest): Promise<CutAnswer> | CutAnswer {
    const { acceptor } = this.#opts;
    const from = String(request.from);
    if (request.prepare?.ballot) return acceptor.prepare(from, request.lineage, String(request.cut), request.prepare.ballot);
    if (request.accept?.ballot && request.accept.proposal) return acceptor.accept(from, request.accept.ballot, request.accept.proposal);
    if (request.decided?.proposal) return acceptor.decided(request.decided.proposal);
    return acceptor.status(request.lineage, String(request.cut));
  }

  #withLineage(answer: CutAnswer): CutReply {
    const own = this.#opts.lineage();
    return { ...answer, lineage: lineageIdOnWire(own), cut: String(own.cut) };
  }
}

/** A step of cut n of lineage L comes from a member on L, which cut n-1 made. */
function stampOfRequest(request: CutRequest) {
  return { lineage: request.lineage, lineage_cut: String(BigInt(request.cut) - 1n) };
}
