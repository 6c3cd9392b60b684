// The backend's single apply loop. Proposals queue in arrival order (the
// queue is bounded: beyond it etcd's "too many requests"); everything
// queued (bounded in count and bytes) is evaluated into one batch and
// appended to the persister, and — once durable, after every earlier batch —
// published to the frontends and answered. The next batch is evaluated
// while appends are in flight (at most ECKD_APPENDS_IN_FLIGHT_MAX batches
// evaluated and not committed, ARCHITECTURE.md §2): requests that arrive
// meanwhile form it (group commit); nothing waits on one request while
// others queue. A request whose client has given up (its deadline passed)
// is dropped before evaluation.
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { EtcdErrorName } from '@eckd/etcd-proto';
import { codecs } from '@eckd/change-codec';
import type { NodeIdentity } from '@eckd/change-codec';
import type { Logger, Messenger } from '@eckd/service-kit';
import { addSpanEvent, countBuckets, histogram, injectTraceHeaders, withSpan } from '@eckd/telemetry';
import type { AppendContent, AppendPipeline } from './append-pipeline.js';
import type { Batch, EvaluationLimits, QueuedProposal } from './batch.js';
import { answerLeaseReads, evaluateBatch, lastRevisionOf } from './batch.js';
import type { HistoryCutter } from './history-cut.js';
import type { NodeState } from './write-application.js';
import type { BatchPeers } from './peers/replication.js';

export interface ApplyLoopOptions {
  messenger: Messenger;
  state: NodeState;
  identity: NodeIdentity;
  subjects: { patch: string };
  batchProposalsMax: number;
  batchBytesMax: number;
  applyQueueProposalsMax: number;
  applyQueueBytesMax: number;
  limits: EvaluationLimits;
  /** sends the appends, in the append chain (its own in-flight bound: ECKD_APPENDS_IN_FLIGHT_MAX) */
  appends: AppendPipeline;
  /** sync: at most this many batches evaluated and not yet committed (ECKD_APPENDS_IN_FLIGHT_MAX) */
  uncommittedBatchesMax: number;
  /**
   * sync: a batch is published and answered after the persister stored it.
   * async: published and answered once applied; stored right after, in order
   * (a backend crash can lose acknowledged writes: see ARCHITECTURE.md).
   */
  persistence: 'sync' | 'async';
  historyCutter: HistoryCutter;
  /** with peers: their changes are applied at batch boundaries and this member's pushed after each append */
  peers?: BatchPeers;
  /** a batch that changed the auth state is durable: the frontends get the new state before its proposer's reply */
  onAuthChanged?: () => void;
  log: Logger;
}


/** In async mode, how many applied batches may wait for storage before the loop waits too. */
const unstoredBatchesMax = 256;

const batchProposals = histogram('eckd_batch_proposals', 'Proposals evaluated in one batch of the apply loop.', countBuckets);

export class ApplyLoop {
  readonly #queue: QueuedProposal[] = [];
  #queuedProposals = 0;
  #queuedBytes = 0;
  #committedProposals = 0;
  readonly #opts: ApplyLoopOptions;
  #running = false;
  #stopped = false;
  /** highest revision that is durable and published to the frontends */
  #publishedRevision: number;
  /** batches evaluated, and batches whose outcome is published and answered */
  #evaluatedBatches = 0;
  #committedBatches = 0;
  /** the commit of the last batch evaluated: the next one is published after it */
  #lastCommit: Promise<void> = Promise.resolve();
  /** commits of the batches evaluated and not yet published, oldest first */
  readonly #uncommitted: Promise<void>[] = [];
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
    if (this.#opts.appends.failing) {
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
      while (this.#hasWork()) {
        // Waiting here, not after taking: what arrives meanwhile joins the
        // batch. No await when there is room: a request is taken from the
        // queue (and no longer counts against its bound) in the turn it came.
        const full = this.#fullUntil();
        if (full) {
          await full;
          continue;
        }
        const items = this.#dropExpired(this.#take());
        if (items.length === 0 && !this.#opts.peers?.hasWork()) continue;
        const batch = evaluateBatch(this.#opts.state, items, this.#opts.limits, this.#opts.peers);
        this.#evaluatedBatches++;
        batchProposals.record(items.reduce((n, item) => n + item.request.proposals.length, 0));
        if (batch.change) batch.rebase = this.#opts.historyCutter.afterBatch(this.#opts.state, batch.patches, lastRevisionOf(batch));
        // A coordinated cut's switch (§8.10, 4): the only await on the loop's path besides the bounds, and only when a switch is
        // built. A batch with revisions carries it, so its snapshot row is past every stored one (a retried append finds it there).
        if (!batch.rebase && batch.patches.length > 0 && this.#opts.peers?.switchDue()) batch.rebase = await this.#opts.peers.switchAt(this.#opts.state);
        this.#commit(batch);
        this.#opts.peers?.batchApplied();
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#running = false;
    }
  }

  #hasWork(): boolean {
    return (this.#queue.length > 0 || (this.#opts.peers?.hasWork() ?? false)) && !this.#stopped;
  }

  /**
   * What to wait for before the next batch, or undefined if it may be
   * evaluated now. sync: ECKD_APPENDS_IN_FLIGHT_MAX batches uncommitted;
   * async: more than 256 batches unstored.
   */
  #fullUntil(): Promise<void> | undefined {
    if (this.#opts.persistence === 'async') return this.#opts.appends.unacknowledged > unstoredBatchesMax ? this.#opts.appends.drained() : undefined;
    return this.#uncommitted.length >= this.#opts.uncommittedBatchesMax ? this.#uncommitted[0] : undefined;
  }

  /**
   * Evaluation errors are values; anything thrown past them (or an append
   * that can never be stored) is a bug or a dead end that could leave the
   * document, the index and Postgres apart: stop the process.
   */
  #fail(err: unknown): never {
    this.#opts.log.error('apply loop failed', { err });
    process.exit(70);
  }

  /**
   * A lease read's answer saw every evaluated batch, so it is sent no sooner
   * than the ones in flight are published: no client then sees a lease state
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

  /**
   * Hands the batch's append to the pipeline at once and publishes the batch
   * once it is durable (sync) and every earlier batch is published: nobody
   * hears of a batch before the ones it was evaluated on.
   */
  #commit(batch: Batch): void {
    // Anything that changed state (revisions, a compaction, a lease grant or
    // revoke in the document) is durable before anyone hears of it.
    // A voter's state in the cut agreement, or a lineage let go, is stored even by a batch with nothing else (§8.10).
    const changed =
      batch.patches.length > 0 || batch.compactRevision !== undefined || batch.change !== undefined || batch.peerChanges.length > 0 || batch.peerSyncStates.length > 0 || batch.cutAcceptor !== undefined || batch.rebase !== undefined || batch.dropLineage !== undefined;
    // Encoded now: the compact revision is this batch's, not a later one's.
    const patchBatch = codecs.patchBatch.encode({ patches: batch.patches, identity: this.#opts.identity, compact_revision: this.#opts.state.store.compactRevision });
    const peerChanges = batch.peerChanges;
    const previous = this.#lastCommit;
    const parent = batch.items[0]?.trace ?? context.active();
    const committed = withSpan('backend.batch', { kind: SpanKind.INTERNAL, parent, attributes: { 'eckd.batch.requests': batch.items.length } }, async (span) => {
      for (const item of batch.items.slice(1)) span.addLink({ context: trace.getSpanContext(item.trace) ?? span.spanContext() });
      // Sent here, before the first await, so appends keep the batches'
      // order and the append carries the batch span's trace context to the
      // persister.
      const stored = changed ? this.#opts.appends.store(appendContentOf(batch, patchBatch)) : undefined;
      const rebase = batch.rebase;
      if (stored && (peerChanges.length > 0 || rebase)) void stored.then(() => this.#opts.peers?.afterStored(peerChanges, rebase), () => undefined);
      if (stored) batch.cutAcceptor?.settle(stored);
      // async: the append fails on its own; sync: the commit fails with it.
      if (this.#opts.persistence === 'async') stored?.catch((err: unknown) => this.#fail(err));
      if (this.#opts.persistence === 'sync') {
        await previous;
        if (stored) {
          await stored;
          addSpanEvent('persisted', { 'eckd.revision': lastRevisionOf(batch) });
        }
      }
      this.#publish(batch, changed ? patchBatch : undefined);
    });
    committed.catch((err: unknown) => this.#fail(err));
    this.#lastCommit = committed;
    this.#uncommitted.push(committed);
    void committed.finally(() => this.#uncommitted.shift()).catch(() => undefined);
  }

  /** The batch is durable (sync) and every earlier one published: the frontends, the peers and the clients hear of it. */
  #publish(batch: Batch, patchBatch: Uint8Array | undefined): void {
    batch.whenAppended?.();
    if (patchBatch) {
      this.#publishedRevision = lastRevisionOf(batch);
      if (batch.authChanged) this.#opts.onAuthChanged?.();
      if (batch.patches.length > 0 || batch.compactRevision !== undefined) {
        this.#opts.messenger.publish(this.#opts.subjects.patch, patchBatch, { headers: injectTraceHeaders() });
        addSpanEvent('published patch');
      }
    }
    batch.items.forEach((item, i) => item.msg?.respond(codecs.proposeReply.encode(batch.replies[i]!)));
    this.#committedBatches++;
    this.#committedProposals += batch.items.reduce((n, item) => n + item.request.proposals.length, 0);
    const due = this.#afterCommit.filter((w) => w.batch <= this.#committedBatches);
    this.#afterCommit = this.#afterCommit.filter((w) => w.batch > this.#committedBatches);
    for (const w of due) w.send();
  }

  /** Asks the persister whether this backend is still the node's (ARCHITECTURE §6a); exits if not. */
  checkFencing(): Promise<void> {
    return this.#opts.appends.checkFencing(this.#publishedRevision);
  }

  /** Resolves once every evaluated batch is stored and published (graceful shutdown). */
  async flush(): Promise<void> {
    await this.#opts.appends.drained();
    await this.#lastCommit.catch(() => undefined);
  }
}

/** The append of one evaluated batch. */
function appendContentOf(batch: Batch, patchBatch: Uint8Array): AppendContent {
  const hasRevisions = batch.patches.length > 0;
  return {
    actor: batch.change ? Buffer.from(batch.change.actorId, 'hex') : Buffer.alloc(0),
    seq: batch.change?.seq ?? 0,
    change: batch.change?.bytes ?? Buffer.alloc(0),
    first_revision: hasRevisions ? batch.baseRevision + 1 : 0,
    last_revision: lastRevisionOf(batch),
    patch_batch: hasRevisions ? patchBatch : Buffer.alloc(0),
    compacted: batch.compactRevision !== undefined,
    compact_revision: batch.compactRevision ?? 0,
    rebase: batch.rebase,
    peer_changes: batch.peerChanges.map((c) => ({ actor: Buffer.from(c.actor, 'hex'), seq: c.seq, change: c.bytes })),
    peer_sync_states: batch.peerSyncStates,
    lineage: batch.lineage,
    cut_acceptor: batch.cutAcceptor?.state,
    drop_lineage: batch.dropLineage !== undefined ? { lineage: batch.dropLineage } : undefined,
  };
}

/** Answers a whole request with an error (nothing of it was evaluated). */
function refuse(item: QueuedProposal, name: EtcdErrorName, message: string): void {
  item.msg?.respond(codecs.proposeReply.encode({ results: [], error: { name, message } }));
}
