// Sends writes to the node's backend. Writes that arrive in the same
// event-loop turn travel together in one ProposeRequest (bounded by count
// and bytes); each is registered by id until its result, a timeout or
// shutdown settles it. At most `pendingMax` writes are queued or awaiting
// their result at once; more are refused at once, as etcd refuses requests
// when its apply falls behind.
//
// A request asks for its reply in the patch of its batch (reply_in_patch):
// the replica applies that patch anyway, so the results ride in it and the
// frontend receives one message per batch instead of two. The backend
// replies on NATS instead when its batch publishes no patch (every write
// failed, a lease read) or it refuses the request (ARCHITECTURE.md §2).
// Whichever comes first settles the request; it then stops waiting for the
// other.
import { codecs, validated, validators } from '@eckd/change-codec';
import type { PatchReply, Proposal, ProposalResult, ProposeReply } from '@eckd/change-codec';
import { MessengerAbortedError } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { injectTraceHeaders } from '@eckd/telemetry';
import { EtcdRpcError } from './to-grpc-error.js';

interface PendingProposal {
  proposal: Proposal;
  bytes: number;
  headers: Record<string, string>;
  resolve: (result: ProposalResult) => void;
  reject: (err: Error) => void;
}

/** One ProposeRequest on its way: its writes by id, and the NATS wait for its reply. */
interface SentRequest {
  byId: Map<string, PendingProposal>;
  reply: AbortController;
}

export interface ProposerOptions {
  messenger: Messenger;
  subject: string;
  frontendId: string;
  timeoutMs: number;
  bytesMax: number;
  proposalsMax?: number;
  /** writes queued or awaiting their result (ECKD_PROPOSER_QUEUE_MAX) */
  pendingMax: number;
  log: Logger;
}

export class Proposer {
  readonly #opts: ProposerOptions;
  #queue: PendingProposal[] = [];
  #scheduled = false;
  #nextId = 1;
  /** writes queued or sent whose result has not come back */
  #pending = 0;
  /** the requests sent and not yet answered, by the id of each of their writes */
  readonly #sent = new Map<string, SentRequest>();

  constructor(opts: ProposerOptions) {
    this.#opts = opts;
  }

  /** Resolves with the backend's result for this write; rejects with etcd's timeout error. */
  propose(op: Omit<Proposal, 'id'>, approxBytes: number): Promise<ProposalResult> {
    if (this.#pending >= this.#opts.pendingMax) return Promise.reject(new EtcdRpcError('TooManyRequests'));
    this.#pending++;
    return new Promise<ProposalResult>((resolve, reject) => {
      this.#queue.push({ proposal: { ...op, id: this.#nextId++ }, bytes: approxBytes, headers: injectTraceHeaders(), resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    }).finally(() => this.#pending--);
  }

  /**
   * A patch arrived (the replica has applied it, or holds it until it can):
   * the replies in it that are this frontend's settle their requests.
   */
  settleFromPatch(replies: readonly PatchReply[]): void {
    for (const entry of replies) {
      if (entry.frontend_id !== this.#opts.frontendId) continue;
      let reply: ProposeReply;
      try {
        reply = validated(codecs.proposeReply.decode(entry.reply), validators.proposeReply);
      } catch (err) {
        // Its writes time out, as when a reply is lost.
        this.#opts.log.warn('bad reply in patch', { err });
        continue;
      }
      const first = reply.results[0];
      const request = first === undefined ? undefined : this.#sent.get(String(first.id));
      if (request) this.#settle(request, reply);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    const max = this.#opts.proposalsMax ?? 1024;
    let group: PendingProposal[] = [];
    let bytes = 0;
    for (const p of queue) {
      if (group.length > 0 && (bytes + p.bytes > this.#opts.bytesMax || group.length >= max)) {
        void this.#send(group);
        group = [];
        bytes = 0;
      }
      group.push(p);
      bytes += p.bytes;
    }
    if (group.length > 0) void this.#send(group);
  }

  async #send(group: PendingProposal[]): Promise<void> {
    const request: SentRequest = { byId: new Map(group.map((p) => [String(p.proposal.id), p])), reply: new AbortController() };
    for (const id of request.byId.keys()) this.#sent.set(id, request);
    try {
      const payload = codecs.proposeRequest.encode({ frontend_id: this.#opts.frontendId, deadline_ms: Date.now() + this.#opts.timeoutMs, reply_in_patch: true, proposals: group.map((p) => p.proposal) });
      // The first write's trace carries the batch; the others are linked by the backend's span.
      const reply = validated(codecs.proposeReply.decode(
        (await this.#opts.messenger.request(this.#opts.subject, payload, { timeoutMs: this.#opts.timeoutMs, headers: group[0]!.headers, signal: request.reply.signal })).data,
      ), validators.proposeReply);
      this.#settle(request, reply);
    } catch (err) {
      if (err instanceof MessengerAbortedError) return; // settled from a patch
      const error = err instanceof EtcdRpcError ? err : new EtcdRpcError('Timeout');
      if (!(err instanceof EtcdRpcError)) this.#opts.log.warn('proposal failed', { err, proposals: group.length });
      this.#fail(request, error);
    }
  }

  /** The request's one reply: each write gets its result; one the reply lacks, etcd's timeout. */
  #settle(request: SentRequest, reply: ProposeReply): void {
    if (reply.error) return this.#fail(request, new EtcdRpcError(reply.error.name, reply.error.message));
    for (const result of reply.results) {
      const id = String(result.id);
      const pending = request.byId.get(id);
      if (!pending) continue;
      request.byId.delete(id);
      this.#sent.delete(id);
      pending.resolve(result);
    }
    this.#fail(request, new EtcdRpcError('Timeout'));
  }

  /** Fails what is left of the request and stops waiting for its NATS reply. */
  #fail(request: SentRequest, error: EtcdRpcError): void {
    for (const [id, pending] of request.byId) {
      this.#sent.delete(id);
      pending.reject(error);
    }
    request.byId.clear();
    request.reply.abort();
  }
}
