// Linearizable reads ask the backend for its published revision. Reads that
// start while a round trip is in flight wait for the next one (they must not
// use an answer to a question asked before they started); all of them share
// that one round trip.
import { codecs, validated, validators } from '@eckd/change-codec';
import { SpanKind, withSpan } from '@eckd/telemetry';
import type { Messenger } from '@eckd/service-kit';
import type { Replica } from './replica.js';
import { EtcdRpcError } from './to-grpc-error.js';

export interface ReadIndexAnswer {
  revision: number;
  epoch: string;
}

/** What the barrier needs of the replica. */
export type BarrierReplica = Pick<Replica, 'identity' | 'resync' | 'waitFor'>;

export class ReadIndex {
  #inFlight: Promise<ReadIndexAnswer> | undefined;
  #next: Promise<ReadIndexAnswer> | undefined;

  constructor(
    private readonly messenger: Messenger,
    private readonly subject: string,
    private readonly timeoutMs: number,
    private readonly replica: BarrierReplica,
  ) {}

  /**
   * The barrier of a linearizable read (Range, and the calls that must see
   * every write before them): resolves once the replica has applied all the
   * backend had published when this call began.
   */
  linearizableBarrier(): Promise<void> {
    return withSpan('etcd-api.read-index', { kind: SpanKind.INTERNAL }, async (span) => {
      const index = await this.current();
      span.setAttribute('eckd.read_index.revision', index.revision);
      // A restarted backend's state is the truth: take it before reading.
      if (this.replica.identity && index.epoch !== this.replica.identity.epoch) await this.replica.resync();
      await this.replica.waitFor(index.revision, this.timeoutMs);
    });
  }

  /** The backend's published revision (and its epoch), asked after this call began. */
  current(): Promise<ReadIndexAnswer> {
    if (!this.#inFlight) return this.#start();
    // `#next` is cleared when its round trip starts, not when it settles: a
    // read that begins after that start must wait for a later round trip.
    this.#next ??= this.#inFlight.then(
      () => this.#startNext(),
      () => this.#startNext(),
    );
    return this.#next;
  }

  #startNext(): Promise<ReadIndexAnswer> {
    this.#next = undefined;
    // A round trip started since the previous one settled began after these reads did.
    return this.#inFlight ?? this.#start();
  }

  #start(): Promise<ReadIndexAnswer> {
    const roundTrip: Promise<ReadIndexAnswer> = this.#ask().finally(() => {
      if (this.#inFlight === roundTrip) this.#inFlight = undefined;
    });
    this.#inFlight = roundTrip;
    return roundTrip;
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
