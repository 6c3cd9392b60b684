// The frontend's replica of the node's key space. It starts from the
// backend's state (sync), then applies every published patch in revision
// order. A patch that skips a revision means a message was lost: the
// replica asks for the revisions after its own (the backend sends them when
// it still has them and is the backend this replica's history comes from,
// the whole state otherwise). Reads and acknowledgements wait through the
// Acknowledger, which also asks for a resync when a published revision does
// not arrive (a lost patch on a quiet node).
import { codecs, validators } from '@eckd/change-codec';
import type { NodeIdentity, PatchBatch, SyncChunk } from '@eckd/change-codec';
import { keyValueFromWire, MvccStore, revisionPatchFromWire } from '@eckd/mvcc';
import type { MvccState } from '@eckd/mvcc';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { Acknowledger } from './acknowledger.js';

export interface ReplicaOptions {
  messenger: Messenger;
  subjects: { sync: string; patch: string };
  syncChunkTimeoutMs: number;
  acknowledger: Acknowledger;
  log: Logger;
}

/** What a replica tells its listeners (watches, acknowledgements). */
export interface ReplicaListener {
  /** revisions (from, to] were applied, in order */
  applied(from: number, to: number): void;
  /** the whole state was replaced by a sync; history may have gaps for old positions */
  replaced(revision: number): void;
}

export class Replica {
  #store: MvccStore = new MvccStore();
  #identity: NodeIdentity | undefined;
  #ready = false;
  #syncing: Promise<void> | undefined;
  #buffered: PatchBatch[] = [];
  /** Epoch of the backend whose history #store holds; undefined before the first sync. */
  #storeEpoch: string | undefined;
  /** An incremental sync did not fit this replica's state: the next one takes the whole state. */
  #fullSyncNeeded = false;
  readonly #listeners: ReplicaListener[] = [];
  readonly #opts: ReplicaOptions;

  constructor(opts: ReplicaOptions) {
    this.#opts = opts;
    opts.acknowledger.onStall(() => void this.resync());
  }

  get store(): MvccStore {
    return this.#store;
  }

  get revision(): number {
    return this.#store.revision;
  }

  get identity(): NodeIdentity | undefined {
    return this.#identity;
  }

  get ready(): boolean {
    return this.#ready;
  }

  listen(listener: ReplicaListener): void {
    this.#listeners.push(listener);
  }

  /** Subscribes to patches, then loads the state; resolves when serving. */
  async start(): Promise<void> {
    this.#opts.messenger.subscribe(this.#opts.subjects.patch, (msg) => {
      let batch: PatchBatch;
      try {
        batch = decodeChecked(msg, codecs.patchBatch, validators.patchBatch, this.#opts.log);
      } catch (err) {
        this.#opts.log.warn('bad patch message', { err });
        return;
      }
      this.#onPatch(batch);
    });
    await this.#opts.messenger.flush();
    await this.resync();
  }

  /** Resolves once the replica serves `revision`; rejects with etcd's timeout error after `timeoutMs`. */
  waitFor(revision: number, timeoutMs: number): Promise<void> {
    return this.#opts.acknowledger.waitForApplied(revision, timeoutMs);
  }

  resync(): Promise<void> {
    this.#syncing ??= this.#syncLoop().finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  async #syncLoop(): Promise<void> {
    this.#ready = false;
    this.#opts.acknowledger.replicaReset();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#syncOnce();
        return;
      } catch (err) {
        this.#opts.log.warn('sync failed, retrying', { attempt, err });
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 2_000)));
      }
    }
  }

  async #syncOnce(): Promise<void> {
    const state: MvccState = { revision: 1, compactRevision: -1, base: [], patches: [] };
    const epoch = this.#fullSyncNeeded ? undefined : this.#storeEpoch;
    const request = codecs.syncRequest.encode({ after_revision: epoch === undefined ? 0 : this.#store.revision, epoch: epoch ?? '' });
    let incremental = false;
    for await (const msg of this.#opts.messenger.requestStream(this.#opts.subjects.sync, request, { chunkTimeoutMs: this.#opts.syncChunkTimeoutMs })) {
      const chunk: SyncChunk = decodeChecked(msg, codecs.syncChunk, validators.syncChunk, this.#opts.log);
      if (chunk.error) throw new Error(`etcd-api: sync refused: ${chunk.error.message}`);
      this.#identity = chunk.identity ?? this.#identity;
      incremental = chunk.incremental === true;
      state.revision = Number(chunk.revision);
      state.compactRevision = Number(chunk.compact_revision);
      state.base.push(...chunk.base.map(keyValueFromWire));
      for (const p of chunk.patches) state.patches.push(revisionPatchFromWire(p));
      if (chunk.done) break;
    }
    const from = this.#store.revision;
    if (incremental) this.#applyAfterSync(state);
    else this.#store = MvccStore.fromState(state);
    this.#storeEpoch = this.#identity?.epoch;
    this.#fullSyncNeeded = false;
    this.#ready = true;
    const buffered = this.#buffered;
    this.#buffered = [];
    this.#opts.log.info('replica synced', { incremental, revision: this.#store.revision, keys: this.#store.keyCount(), buffered: buffered.length });
    if (incremental) {
      // The history is continuous: listeners get the missed revisions as if their patches had come.
      this.#applied(from);
      this.compactTo(state.compactRevision);
    } else {
      for (const l of this.#listeners) l.replaced(this.#store.revision);
      this.#applied(this.#store.revision);
    }
    for (const batch of buffered) this.#onPatch(batch);
  }

  /** Applies the revisions of an incremental sync on top of this replica's state. */
  #applyAfterSync(state: MvccState): void {
    for (const patch of state.patches) {
      if (patch.revision <= this.#store.revision) continue;
      if (patch.revision !== this.#store.revision + 1) break;
      this.#store.applyRevision(patch);
    }
    if (this.#store.revision < state.revision) {
      this.#fullSyncNeeded = true;
      throw new Error(`etcd-api: incremental sync ended at ${this.#store.revision}, short of ${state.revision}`);
    }
  }

  #onPatch(batch: PatchBatch): void {
    if (batch.identity && this.#ready && this.#identity && batch.identity.epoch !== this.#identity.epoch) {
      // A restarted backend: its state is what was stored, which this replica
      // must take as it is (async persistence may have lost revisions).
      this.#opts.log.info('backend restarted, resyncing', { epoch: batch.identity.epoch });
      this.#buffered.push(batch);
      void this.resync();
      return;
    }
    if (batch.identity) this.#identity = batch.identity;
    if (!this.#ready) {
      this.#buffered.push(batch);
      return;
    }
    const from = this.#store.revision;
    for (const p of batch.patches) {
      const revision = Number(p.revision);
      if (revision <= this.#store.revision) continue; // already in the synced state
      if (revision !== this.#store.revision + 1) {
        this.#opts.log.warn('patch gap, resyncing', { applied: this.#store.revision, received: revision });
        this.#buffered.push(batch);
        this.#applied(from);
        void this.resync();
        return;
      }
      this.#store.applyRevision(revisionPatchFromWire(p));
    }
    // Listeners read the new revisions' events before a compaction can drop them.
    this.#applied(from);
    this.compactTo(Number(batch.compact_revision));
  }

  /** Applies a compaction the backend made (idempotent; never beyond what this replica holds). */
  compactTo(revision: number): void {
    if (revision > this.#store.compactRevision && revision <= this.#store.revision) this.#store.compact(revision);
  }

  #applied(from: number): void {
    if (!this.#ready) return;
    const revision = this.#store.revision;
    if (revision > from) for (const l of this.#listeners) l.applied(from, revision);
    this.#opts.acknowledger.applied(revision);
  }
}
