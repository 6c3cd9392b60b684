// The backend's single apply loop. Proposals queue in arrival order (the
// queue is bounded: beyond it etcd's "too many requests"); while no append
// is in flight, everything queued (bounded in count and bytes) is evaluated
// into one batch, appended to the persister, and — once durable — published
// to the frontends and answered. Requests that arrive during an append form
// the next batch (group commit); nothing waits on one request while others
// queue. A request whose client has given up (its deadline passed) is
// dropped before evaluation.
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { EtcdErrorName } from '@eckd/etcd-proto';
import { codecs, validated, validators } from '@eckd/change-codec';
import type { NodeIdentity } from '@eckd/change-codec';
import type { Logger, Messenger } from '@eckd/service-kit';
import { retry } from '@eckd/service-kit';
import { addSpanEvent, countBuckets, histogram, injectTraceHeaders, latencySecondsBuckets, withSpan } from '@eckd/telemetry';
import type { Batch, EvaluationLimits, QueuedProposal } from './batch.js';
import { answerLeaseReads, evaluateBatch, lastRevisionOf } from './batch.js';
import type { HistoryCutter } from './history-cut.js';
import type { NodeState } from './write-application.js';
import type { BatchPeers } from './peers/replication.js';

export interface ApplyLoopOptions {
  messenger: Messenger;
  state: NodeState;
  identity: NodeIdentity;
  subjects: { patch: string; append: string };
  batchProposalsMax: number;
  batchBytesMax: number;
  applyQueueProposalsMax: number;
  applyQueueBytesMax: number;
  limits: EvaluationLimits;
  /** first append attempt's timeout; each retry waits twice as long, up to appendTimeoutGrowthMax times */
  appendTimeoutMs: number;
  /**
   * sync: a batch is published and answered after the persister stored it.
   * async: published and answered once applied; stored right after, in order
   * (a backend crash can lose acknowledged writes: see ARCHITECTURE.md).
   */
  persistence: 'sync' | 'async';
  historyCutter: HistoryCutter;
  /** claimed by this backend's load; every append carries it (ARCHITECTURE §6a) */
  fencingEpoch: number;
  /**
   * Another backend took over the node (an append refused as fenced or
   * conflicting): never returns, so the batch is never answered as a success.
   */
  onFenced: (reason: string) => never;
  /** the largest append the persister can receive (its fragment reassembly bound) */
  appendBytesMax: number;
  /** with peers: their changes are applied at batch boundaries and this member's pushed after each append */
  peers?: BatchPeers;
  /** a batch that changed the auth state is durable: the frontends get the new state before its proposer's reply */
  onAuthChanged?: () => void;
  log: Logger;
}


/** In async mode, how many applied batches may wait for storage before the loop waits too. */
const unstoredBatchesMax = 256;
/**
 * A retried append waits longer each time (up to this factor): when the
 * persister is slow rather than down, a fixed timeout would give up on every
 * attempt while the persister works through the earlier copies.
 */
const appendTimeoutGrowthMax = 16;

const batchProposals = histogram('eckd_batch_proposals', 'Proposals evaluated in one batch of the apply loop.', countBuckets);
const appendSeconds = histogram('eckd_append_duration_seconds', "A batch's append to the persister, retries included, as the backend waits for it.", latencySecondsBuckets);

export class ApplyLoop {
  readonly #queue: QueuedProposal[] = [];
  #queuedProposals = 0;
  #queuedBytes = 0;
  #committedProposals = 0;
  readonly #opts: ApplyLoopOptions;
  #running = false;
  #stopped = false;
  /** the persister is not acknowledging appends (e.g. Postgres is down) */
  #storageFailing = false;
  /** async mode: appends still to be stored, in order */
  #appends: Promise<void> = Promise.resolve();
  #unstored = 0;
  /** highest revision that is durable and published to the frontends */
  #publishedRevision: number;
  /** batches evaluated, and batches whose outcome is published and answered */
  #evaluatedBatches = 0;
  #committedBatches = 0;
  /** replies computed on the state of a batch still in flight, sent once it is committed */
  #afterCommit: { batch: number; send: () => void }[] = [];

  constructor(opts: ApplyLoopOptions) {
    this.#opts = opts;
    this.#publishedRevision = opts.state.store.revision;
  }

  get publishedRevision(): number {
    return this.#publishedRevision;
  }

  enqueue(item: QueuedProposal): void {
    if (this.#storageFailing) {
      // Fail fast instead of queueing behind a batch that cannot be stored:
      // the client gets etcd's timeout error at once and may retry.
      refuse(item, 'Timeout', 'backend: storage unavailable');
      return;
    }
    if (item.msg) {
      const { answered, rest } = answerLeaseReads(this.#opts.state, item.request, this.#opts.limits);
      if (rest.length === 0) {
        const msg = item.msg;
        this.#whenCommitted(() => msg.respond(codecs.proposeReply.encode({ results: answered })));
        return;
      }
      item = { ...item, answered, request: { ...item.request, proposals: rest } };
      // The backend's own proposals (lease expiry) are never refused: they are few and must not be lost.
      if (this.#queue.length > 0 && (this.#queuedProposals + rest.length > this.#opts.applyQueueProposalsMax || this.#queuedBytes + item.bytes > this.#opts.applyQueueBytesMax)) {
        refuse(item, 'TooManyRequests', `backend: apply queue holds ${this.#queuedProposals} proposals, ${this.#queuedBytes} bytes`);
        return;
      }
    }
    this.#queue.push(item);
    this.#queuedProposals += item.request.proposals.length;
    this.#queuedBytes += item.bytes;
    if (!this.#running) void this.#run();
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Proposals waiting for a batch (etcd has no apply queue; eckd_apply_queue_proposals). */
  get queuedProposals(): number {
    return this.#queuedProposals;
  }

  /** Proposals whose batch was committed since start (etcd_server_proposals_committed_total). */
  get committedProposals(): number {
    return this.#committedProposals;
  }

  /** Runs a batch if the loop is idle (peers' messages arrived). */
  wake(): void {
    if (!this.#running && !this.#stopped) void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while ((this.#queue.length > 0 || this.#opts.peers?.hasWork()) && !this.#stopped) {
        const items = this.#dropExpired(this.#take());
        if (items.length === 0 && !this.#opts.peers?.hasWork()) continue;
        const batch = evaluateBatch(this.#opts.state, items, this.#opts.limits, this.#opts.peers);
        this.#evaluatedBatches++;
        const proposals = items.reduce((n, item) => n + item.request.proposals.length, 0);
        batchProposals.record(proposals);
        if (batch.change) batch.rebase = this.#opts.historyCutter.afterBatch(this.#opts.state, batch.patches, lastRevisionOf(batch));
        await this.#commit(batch);
        this.#committedBatches++;
        this.#committedProposals += proposals;
        const due = this.#afterCommit.filter((w) => w.batch <= this.#committedBatches);
        this.#afterCommit = this.#afterCommit.filter((w) => w.batch > this.#committedBatches);
        for (const w of due) w.send();
      }
    } catch (err) {
      // Evaluation errors are values; anything thrown here is a bug that
      // could leave the document and the index apart: stop the process.
      this.#opts.log.error('apply loop failed', { err });
      process.exit(70);
    } finally {
      this.#running = false;
    }
  }

  /**
   * A lease read's answer saw every evaluated batch, so it is sent no sooner
   * than the one in flight is published: no client then sees a lease state
   * that a linearizable read cannot see yet.
   */
  #whenCommitted(send: () => void): void {
    if (this.#committedBatches === this.#evaluatedBatches) send();
    else this.#afterCommit.push({ batch: this.#evaluatedBatches, send });
  }

  /** The next batch's requests: at least one, then as many as fit the count and byte bounds. */
  #take(): QueuedProposal[] {
    let count = 0;
    let bytes = 0;
    let n = 0;
    for (; n < this.#queue.length; n++) {
      const next = this.#queue[n]!;
      const fits = count + next.request.proposals.length <= this.#opts.batchProposalsMax && bytes + next.bytes <= this.#opts.batchBytesMax;
      if (n > 0 && !fits) break;
      count += next.request.proposals.length;
      bytes += next.bytes;
    }
    this.#queuedProposals -= count;
    this.#queuedBytes -= bytes;
    return this.#queue.splice(0, n);
  }

  /** Requests whose client has given up are answered with a timeout (which nobody awaits) and not evaluated. */
  #dropExpired(items: QueuedProposal[]): QueuedProposal[] {
    const now = Date.now();
    return items.filter((item) => {
      const deadline = Number(item.request.deadline_ms ?? 0);
      if (deadline === 0 || deadline > now) return true;
      refuse(item, 'Timeout', 'backend: the client gave up before the request was evaluated');
      return false;
    });
  }

  async #commit(batch: Batch): Promise<void> {
    const parent = batch.items[0]?.trace ?? context.active();
    await withSpan('backend.batch', { kind: SpanKind.INTERNAL, parent, attributes: { 'eckd.batch.requests': batch.items.length } }, async (span) => {
      for (const item of batch.items.slice(1)) span.addLink({ context: trace.getSpanContext(item.trace) ?? span.spanContext() });
      // Anything that changed state (revisions, a compaction, a lease grant or
      // revoke in the document) is durable before anyone hears of it.
      if (batch.patches.length > 0 || batch.compactRevision !== undefined || batch.change || batch.peerChanges.length > 0 || batch.peerSyncStates.length > 0) {
        const patchBatch = codecs.patchBatch.encode({
          patches: batch.patches,
          identity: this.#opts.identity,
          compact_revision: this.#opts.state.store.compactRevision,
        });
        if (this.#opts.persistence === 'sync') {
          await this.#append(batch, patchBatch);
          addSpanEvent('persisted', { 'eckd.revision': lastRevisionOf(batch) });
        } else {
          await this.#appendLater(batch, patchBatch);
        }
        this.#opts.peers?.afterAppend(batch.change, this.#opts.state.doc.heads());
        this.#publishedRevision = lastRevisionOf(batch);
        if (batch.authChanged) this.#opts.onAuthChanged?.();
        if (batch.patches.length > 0 || batch.compactRevision !== undefined) {
          this.#opts.messenger.publish(this.#opts.subjects.patch, patchBatch, { headers: injectTraceHeaders() });
          addSpanEvent('published patch');
        }
      }
      batch.items.forEach((item, i) => item.msg?.respond(codecs.proposeReply.encode(batch.replies[i]!)));
    });
  }

  /** Async mode: stores the batch after the ones before it; waits only when too many are unstored. */
  async #appendLater(batch: Batch, patchBatch: Uint8Array): Promise<void> {
    this.#unstored++;
    this.#appends = this.#appends.then(() => this.#append(batch, patchBatch)).finally(() => this.#unstored--);
    if (this.#unstored > unstoredBatchesMax) await this.#appends;
  }

  /**
   * Asks the persister whether this backend's fencing epoch is still the
   * current one, with an append that stores nothing; exits if it is not. A
   * takeover announcement is only a hint (anyone on NATS could send one).
   */
  async checkFencing(): Promise<void> {
    const request = codecs.appendRequest.encode({
      actor: Buffer.alloc(0),
      seq: 0,
      change: Buffer.alloc(0),
      first_revision: 0,
      last_revision: this.#publishedRevision,
      patch_batch: Buffer.alloc(0),
      compacted: false,
      compact_revision: 0,
      fencing_epoch: this.#opts.fencingEpoch,
    });
    const reply = codecs.appendReply.decode((await this.#opts.messenger.request(this.#opts.subjects.append, request, { timeoutMs: this.#opts.appendTimeoutMs })).data);
    if (reply.fenced) this.#opts.onFenced(reply.error?.message ?? 'append refused as fenced');
  }

  /** Resolves once every applied batch is stored (graceful shutdown in async mode). */
  flush(): Promise<void> {
    return this.#appends;
  }

  /** Retries until the persister acknowledges: an acknowledged write must be durable. */
  async #append(batch: Batch, patchBatch: Uint8Array): Promise<void> {
    const hasRevisions = batch.patches.length > 0;
    const request = codecs.appendRequest.encode({
      actor: batch.change ? Buffer.from(batch.change.actorId, 'hex') : Buffer.alloc(0),
      seq: batch.change?.seq ?? 0,
      change: batch.change?.bytes ?? Buffer.alloc(0),
      first_revision: hasRevisions ? batch.baseRevision + 1 : 0,
      last_revision: lastRevisionOf(batch),
      patch_batch: hasRevisions ? patchBatch : Buffer.alloc(0),
      compacted: batch.compactRevision !== undefined,
      compact_revision: batch.compactRevision ?? 0,
      rebase: batch.rebase,
      fencing_epoch: this.#opts.fencingEpoch,
      peer_changes: batch.peerChanges.map((c) => ({ actor: Buffer.from(c.actor, 'hex'), seq: c.seq, change: c.bytes })),
      peer_sync_states: batch.peerSyncStates,
    });
    // Retrying could never succeed: the process stops (the loop's catch, or
    // the unhandled-rejection handler in async mode), the batch is never
    // answered, and recovery restarts from the stored state.
    const tooLarge = appendTooLarge(request.length, this.#opts.appendBytesMax, lastRevisionOf(batch));
    if (tooLarge) throw new Error(tooLarge);
    const started = performance.now();
    // Unbounded while the persister may still take it: the batch is evaluated
    // and later batches build on it, so it cannot be dropped; meanwhile new
    // proposals fail fast (see enqueue).
    const attempts = await retry(
      async (attempt) => {
        const reply = validated(codecs.appendReply.decode(
          (await this.#opts.messenger.request(this.#opts.subjects.append, request, {
            timeoutMs: this.#opts.appendTimeoutMs * Math.min(2 ** (attempt - 1), appendTimeoutGrowthMax),
            headers: injectTraceHeaders(),
          })).data,
        ), validators.appendReply);
        if (reply.fenced) this.#opts.onFenced(reply.error?.message ?? 'append refused as fenced');
        if (reply.error || Number(reply.durable_revision) < lastRevisionOf(batch)) {
          throw new Error(`backend: append refused: ${reply.error?.message ?? `durable revision ${reply.durable_revision}`}`);
        }
        return attempt;
      },
      {
        attemptsMax: Infinity,
        delayInitialMs: 100,
        delayMaxMs: 2_000,
        onRetry: (err, attempt) => {
          this.#storageFailing = true;
          this.#opts.log.warn('append failed, retrying', { attempt, err });
        },
      },
    );
    appendSeconds.record((performance.now() - started) / 1000);
    if (this.#storageFailing) this.#opts.log.info('storage is back', { attempts });
    this.#storageFailing = false;
    if (batch.peerChanges.length > 0) this.#opts.peers?.afterStored(batch.peerChanges);
  }
}

/** Why an append of `bytes` can never reach the persister, or undefined if it can. */
export function appendTooLarge(bytes: number, appendBytesMax: number, lastRevision: number): string | undefined {
  return bytes > appendBytesMax
    ? `backend: the append for revisions up to ${lastRevision} is ${bytes} bytes, more than the persister takes from one sender (${appendBytesMax}, ECKD_FRAGMENT_SENDER_BYTES_MAX)`
    : undefined;
}

/** Answers a whole request with an error (nothing of it was evaluated). */
function refuse(item: QueuedProposal, name: EtcdErrorName, message: string): void {
  item.msg?.respond(codecs.proposeReply.encode({ results: [], error: { name, message } }));
}
