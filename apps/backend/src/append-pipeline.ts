// Sends the backend's appends to the persister, several in flight
// (ARCHITECTURE.md §2, pipelined appends). Each carries its place in the
// append chain (1, 2, …), so the persister stores it only right after its
// predecessor; a failed or timed-out append is sent again only once its
// predecessor is acknowledged, so a retry never overtakes what it depends
// on. Acknowledgements resolve strictly in order.
import { codecs, validated, validators } from '@eckd/change-codec';
import type { AppendRequest } from '@eckd/change-codec';
import type { Logger, Messenger } from '@eckd/service-kit';
import { retry } from '@eckd/service-kit';
import { histogram, injectTraceHeaders, latencySecondsBuckets } from '@eckd/telemetry';

export interface AppendPipelineOptions {
  messenger: Messenger;
  subject: string;
  /** at most this many appends sent and not yet acknowledged (ECKD_APPENDS_IN_FLIGHT_MAX); later ones wait to be sent */
  inFlightMax: number;
  /** first attempt's timeout; each retry waits twice as long, up to appendTimeoutGrowthMax times */
  appendTimeoutMs: number;
  /** claimed by this backend's load; every append carries it (ARCHITECTURE §6a) */
  fencingEpoch: number;
  /** Another backend took over the node: never returns, so nothing after is acknowledged. */
  onFenced: (reason: string) => never;
  /** the largest append the persister can receive (its fragment reassembly bound) */
  appendBytesMax: number;
  log: Logger;
}

/** An append's content: what the apply loop made of one batch. */
export type AppendContent = Omit<AppendRequest, 'fencing_epoch' | 'append_index'>;

/**
 * A retried append waits longer each time (up to this factor): when the
 * persister is slow rather than down, a fixed timeout would give up on every
 * attempt while the persister works through the earlier copies.
 */
const appendTimeoutGrowthMax = 16;

const appendSeconds = histogram('eckd_append_duration_seconds', "A batch's append to the persister, retries included, as the backend waits for it.", latencySecondsBuckets);

export class AppendPipeline {
  readonly #opts: AppendPipelineOptions;
  #nextIndex = 1;
  /** acknowledgement of the last append handed in (resolves after every earlier one's) */
  #last: Promise<void> = Promise.resolve();
  /** acknowledgements of the appends handed in and not yet acknowledged, oldest first */
  readonly #unacknowledged: Promise<void>[] = [];
  /** appends refused or timed out at least once and not yet acknowledged */
  #retrying = 0;

  constructor(opts: AppendPipelineOptions) {
    if (!(opts.inFlightMax >= 1)) throw new RangeError('backend: appends in flight must be at least 1');
    this.#opts = opts;
  }

  /** The persister is not acknowledging appends (e.g. Postgres is down). */
  get failing(): boolean {
    return this.#retrying > 0;
  }

  /** Appends handed in and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#unacknowledged.length;
  }

  /**
   * Stores `content` after every append handed in before it; resolves once
   * it and they are durable. Rejects only when it can never be stored (too
   * large for the persister): then no later append can be either.
   */
  store(content: AppendContent): Promise<void> {
    const index = this.#nextIndex++;
    const request = codecs.appendRequest.encode({ ...content, fencing_epoch: this.#opts.fencingEpoch, append_index: index });
    const previous = this.#last;
    // The append `inFlightMax` places earlier is acknowledged: a slot is free.
    const slot = this.#unacknowledged.at(-this.#opts.inFlightMax) ?? Promise.resolve();
    const acknowledged = this.#send(request, Number(content.last_revision), { previous, slot });
    this.#last = acknowledged;
    this.#unacknowledged.push(acknowledged);
    // Settled in order, so the oldest entry is always the one to drop.
    const done = () => void this.#unacknowledged.shift();
    acknowledged.then(done, done);
    return acknowledged;
  }

  /** Resolves once every append handed in so far is acknowledged (or one can never be). */
  drained(): Promise<void> {
    return this.#last.catch(() => undefined);
  }

  /**
   * Asks the persister whether this backend's fencing epoch is still the
   * current one, with an append that stores nothing and stands outside the
   * chain; exits if it is not. A takeover announcement is only a hint
   * (anyone on NATS could send one).
   */
  async checkFencing(durableRevision: number): Promise<void> {
    const request = codecs.appendRequest.encode({
      actor: Buffer.alloc(0),
      seq: 0,
      change: Buffer.alloc(0),
      first_revision: 0,
      last_revision: durableRevision,
      patch_batch: Buffer.alloc(0),
      compacted: false,
      compact_revision: 0,
      fencing_epoch: this.#opts.fencingEpoch,
    });
    const reply = codecs.appendReply.decode((await this.#opts.messenger.request(this.#opts.subject, request, { timeoutMs: this.#opts.appendTimeoutMs })).data);
    if (reply.fenced) this.#opts.onFenced(reply.error?.message ?? 'append refused as fenced');
  }

  /** Retries until the persister acknowledges: an acknowledged write must be durable. */
  async #send(request: Uint8Array, lastRevision: number, after: { previous: Promise<void>; slot: Promise<void> }): Promise<void> {
    // Retrying could never succeed: the batch is never answered, and the
    // apply loop stops the process so recovery restarts from the stored state.
    const tooLarge = appendTooLarge(request.length, this.#opts.appendBytesMax, lastRevision);
    if (tooLarge) {
      await after.previous;
      throw new Error(tooLarge);
    }
    await after.slot;
    // While appends fail, one sent before its predecessor is stored would only be refused.
    if (this.failing) await after.previous;
    const started = performance.now();
    // Unbounded while the persister may still take it: the batch is evaluated
    // and later batches build on it, so it cannot be dropped; meanwhile new
    // proposals fail fast (the apply loop reads `failing`).
    const attempts = await retry(
      async (attempt) => {
        // A retry goes after its predecessor is acknowledged: sent sooner, the
        // persister would refuse it as out of order.
        if (attempt > 1) await after.previous;
        const reply = validated(codecs.appendReply.decode(
          (await this.#opts.messenger.request(this.#opts.subject, request, {
            timeoutMs: this.#opts.appendTimeoutMs * Math.min(2 ** (attempt - 1), appendTimeoutGrowthMax),
            headers: injectTraceHeaders(),
          })).data,
        ), validators.appendReply);
        if (reply.fenced) this.#opts.onFenced(reply.error?.message ?? 'append refused as fenced');
        if (reply.error || Number(reply.durable_revision) < lastRevision) {
          throw new Error(`backend: append refused: ${reply.error?.message ?? `durable revision ${reply.durable_revision}`}`);
        }
        return attempt;
      },
      {
        attemptsMax: Infinity,
        delayInitialMs: 100,
        delayMaxMs: 2_000,
        onRetry: (err, attempt) => {
          if (attempt === 1) this.#retrying++;
          this.#opts.log.warn('append failed, retrying', { attempt, err });
        },
      },
    );
    // Acknowledged in order: the persister stored the predecessor first, but its reply may still be on its way.
    await after.previous;
    appendSeconds.record((performance.now() - started) / 1000);
    if (attempts > 1) {
      this.#retrying--;
      this.#opts.log.info('storage is back', { attempts });
    }
  }
}

/** Why an append of `bytes` can never reach the persister, or undefined if it can. */
export function appendTooLarge(bytes: number, appendBytesMax: number, lastRevision: number): string | undefined {
  return bytes > appendBytesMax
    ? `backend: the append for revisions up to ${lastRevision} is ${bytes} bytes, more than the persister takes from one sender (${appendBytesMax}, ECKD_FRAGMENT_SENDER_BYTES_MAX)`
    : undefined;
}
