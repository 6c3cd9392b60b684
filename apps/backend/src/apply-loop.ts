// The backend's single apply loop. Proposals queue in arrival order; while
// no append is in flight, everything queued (bounded) is evaluated into one
// batch, appended to the persister, and — once durable — published to the
// frontends and answered. Requests that arrive during an append form the
// next batch (group commit); nothing waits on one request while others queue.
import { SpanKind, context, trace } from '@opentelemetry/api';
import { codecs, validated, validators } from '@eckd/change-codec';
import type { NodeIdentity } from '@eckd/change-codec';
import type { Logger, Messenger } from '@eckd/service-kit';
import { addSpanEvent, injectTraceHeaders, withSpan } from '@eckd/telemetry';
import type { Batch, QueuedProposal } from './batch.js';
import { evaluateBatch, lastRevisionOf } from './batch.js';
import type { HistoryCutter } from './history-cut.js';
import type { NodeState } from './node-state.js';

export interface ApplyLoopOptions {
  messenger: Messenger;
  state: NodeState;
  identity: NodeIdentity;
  subjects: { patch: string; append: string };
  batchProposalsMax: number;
  appendTimeoutMs: number;
  /**
   * sync: a batch is published and answered after the persister stored it.
   * async: published and answered once applied; stored right after, in order
   * (a backend crash can lose acknowledged writes: see ARCHITECTURE.md).
   */
  persistence: 'sync' | 'async';
  historyCutter: HistoryCutter;
  log: Logger;
}

/** In async mode, how many applied batches may wait for storage before the loop waits too. */
const unstoredBatchesMax = 256;

export class ApplyLoop {
  readonly #queue: QueuedProposal[] = [];
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
      item.msg?.respond(codecs.proposeReply.encode({ results: [], error: { name: 'Timeout', message: 'backend: storage unavailable' } }));
      return;
    }
    this.#queue.push(item);
    if (!this.#running) void this.#run();
  }

  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const items = this.#take();
        const batch = evaluateBatch(this.#opts.state, items);
        if (batch.change) batch.rebase = this.#opts.historyCutter.afterBatch(this.#opts.state, batch.patches, lastRevisionOf(batch));
        await this.#commit(batch);
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

  #take(): QueuedProposal[] {
    let count = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || count + this.#queue[n]!.request.proposals.length <= this.#opts.batchProposalsMax)) {
      count += this.#queue[n]!.request.proposals.length;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #commit(batch: Batch): Promise<void> {
    const parent = batch.items[0]?.trace ?? context.active();
    await withSpan('backend.batch', { kind: SpanKind.INTERNAL, parent, attributes: { 'eckd.batch.requests': batch.items.length } }, async (span) => {
      for (const item of batch.items.slice(1)) span.addLink({ context: trace.getSpanContext(item.trace) ?? span.spanContext() });
      // Anything that changed state (revisions, a compaction, a lease grant or
      // revoke in the document) is durable before anyone hears of it.
      if (batch.patches.length > 0 || batch.compactRevision !== undefined || batch.change) {
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
        this.#publishedRevision = lastRevisionOf(batch);
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
    });
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = validated(codecs.appendReply.decode(
          (await this.#opts.messenger.request(this.#opts.subjects.append, request, {
            timeoutMs: this.#opts.appendTimeoutMs,
            headers: injectTraceHeaders(),
          })).data,
        ), validators.appendReply);
        if (!reply.error && Number(reply.durable_revision) >= lastRevisionOf(batch)) {
          if (this.#storageFailing) this.#opts.log.info('storage is back', { attempts: attempt });
          this.#storageFailing = false;
          return;
        }
        this.#opts.log.warn('append refused, retrying', { attempt, error: reply.error });
      } catch (err) {
        this.#opts.log.warn('append failed, retrying', { attempt, err });
      }
      this.#storageFailing = true;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2_000)));
    }
  }
}
