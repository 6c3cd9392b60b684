// Linearizable reads ask the backend for its published revision. Reads that
// start while a round trip is in flight wait for the next one (they must not
// use an answer to a question asked before they started); all of them share
// that one round trip.
import { codecs, validated, validators } from '@eckd/change-codec';
import type { Messenger } from '@eckd/service-kit';
import { EtcdRpcError } from './to-grpc-error.js';

export interface ReadIndexAnswer {
  revision: number;
  epoch: string;
}

export class ReadIndex {
  #inFlight: Promise<ReadIndexAnswer> | undefined;
  #next: Promise<ReadIndexAnswer> | undefined;

  constructor(
    private readonly messenger: Messenger,
    private readonly subject: string,
    private readonly timeoutMs: number,
  ) {}

  /** The backend's published revision (and its epoch), asked after this call began. */
  current(): Promise<ReadIndexAnswer> {
    if (!this.#inFlight) {
      this.#inFlight = this.#ask().finally(() => (this.#inFlight = undefined));
      return this.#inFlight;
    }
    this.#next ??= this.#inFlight.then(
      () => this.current(),
      () => this.current(),
    ).finally(() => (this.#next = undefined));
    return this.#next;
  }

  async #ask(): Promise<ReadIndexAnswer> {
    try {
      const msg = await this.messenger.request(this.subject, codecs.readIndexRequest.encode({}), { timeoutMs: this.timeoutMs });
      const reply = validated(codecs.readIndexReply.decode(msg.data), validators.readIndexReply);
      if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
      return { revision: Number(reply.revision), epoch: reply.epoch };
    } catch (err) {
      if (err instanceof EtcdRpcError) throw err;
      throw new EtcdRpcError('Timeout');
    }
  }
}
