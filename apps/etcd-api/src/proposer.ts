// Sends writes to the node's backend. Writes that arrive in the same
// event-loop turn travel together in one ProposeRequest (bounded by count
// and bytes); each is registered by id until its result, a timeout or
// shutdown settles it. At most `pendingMax` writes are queued or awaiting
// their result at once; more are refused at once, as etcd refuses requests
// when its apply falls behind.
import { codecs, validated, validators } from '@eckd/change-codec';
import type { Proposal, ProposalResult } from '@eckd/change-codec';
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
    const byId = new Map(group.map((p) => [String(p.proposal.id), p]));
    try {
      const payload = codecs.proposeRequest.encode({ frontend_id: this.#opts.frontendId, deadline_ms: Date.now() + this.#opts.timeoutMs, proposals: group.map((p) => p.proposal) });
      // The first write's trace carries the batch; the others are linked by the backend's span.
      const reply = validated(codecs.proposeReply.decode(
        (await this.#opts.messenger.request(this.#opts.subject, payload, { timeoutMs: this.#opts.timeoutMs, headers: group[0]!.headers })).data,
      ), validators.proposeReply);
      if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
      for (const result of reply.results) {
        const pending = byId.get(String(result.id));
        byId.delete(String(result.id));
        pending?.resolve(result);
      }
      for (const p of byId.values()) p.reject(new EtcdRpcError('Timeout'));
    } catch (err) {
      const error = err instanceof EtcdRpcError ? err : new EtcdRpcError('Timeout');
      if (!(err instanceof EtcdRpcError)) this.#opts.log.warn('proposal failed', { err, proposals: group.length });
      for (const p of byId.values()) p.reject(error);
    }
  }
}
