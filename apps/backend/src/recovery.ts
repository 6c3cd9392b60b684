// Rebuilds the node's state from the persister's load stream:
// - the Automerge document: the snapshot's saved document (if any) plus
//   every stored change after it;
// - the key index and its history: the snapshot's key index at its index
//   revision (if any; else the empty store) plus every stored PatchBatch
//   after it, in revision order; then the stored compaction.
// The two were written in the same transactions, so they must hold the same
// keys: a mismatch is corruption and fails the recovery.
import { loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument, LeaseRecord } from '@eckd/automerge-doc';
import { codecs, validators } from '@eckd/change-codec';
import type { CutAcceptorState, CutProposal, LoadChunk, RevisionPatch as WirePatch } from '@eckd/change-codec';
import { keyValueFromWire, LeaseStore, MvccStore, revisionPatchFromWire } from '@eckd/mvcc';
import type { MvccState, RevisionPatch } from '@eckd/mvcc';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';

export interface RecoveredState {
  store: MvccStore;
  doc: KvDocument;
  leases: LeaseStore;
  /** claimed for this backend by the load: its appends carry it (ARCHITECTURE §6a) */
  fencingEpoch: number;
  /** the stored sync state per peer (member id, decimal), docs/ARCHITECTURE.md §8.3 */
  peerSyncStates: ReadonlyMap<string, Uint8Array>;
  /** this voter's states in the cut agreement, one per (lineage, cut), docs/ARCHITECTURE.md §8.10 */
  cutAcceptorStates: readonly CutAcceptorState[];
  /** the decision of the cut that made the recovered lineage (LoadChunk.cut_record), if a coordinated cut did (§8.10) */
  cutDecision?: CutProposal;
  /** the database held nothing (no snapshot, change or revision): a member with peers may start from a peer's snapshot (§8.5) */
  empty: boolean;
}

export class RecoveryError extends Error {
  override name = 'RecoveryError';
}

/**
 * `backend`: this backend's NodeIdentity.epoch, named in the load that claims its fencing epoch.
 * `self`: this member, to tell its own lease records from its peers' (only its own are restored).
 * `emptyStore`: the key index before the first stored revision (a member's band starts it higher, docs/ARCHITECTURE.md §8.1);
 * it is given that first revision (undefined: none stored), which a joined node restarting alone takes its band from (§8.5).
 */
export async function recoverState(
  messenger: Messenger,
  loadSubject: string,
  chunkTimeoutMs: number,
  log: Logger,
  backend: string,
  self: LeaseOwnerSelf,
  emptyStore: EmptyStore = () => new MvccStore(),
): Promise<RecoveredState> {
  const started = Date.now();
  const recovery = new RecoveryAssembler(emptyStore);
  let done = false;
  let fencingEpoch = 0;
  for await (const msg of messenger.requestStream(loadSubject, codecs.loadRequest.encode({ backend }), { chunkTimeoutMs })) {
    const chunk = decodeChecked(msg, codecs.loadChunk, validators.loadChunk, log);
    if (chunk.error) throw new RecoveryError(`backend: recovery failed at the persister: ${chunk.error.message}`);
    recovery.accept(chunk);
    fencingEpoch = Number(chunk.fencing_epoch);
    if ((done = chunk.done)) break;
  }
  if (!done) throw new RecoveryError('backend: the load stream ended before its last chunk');
  if (fencingEpoch <= 0) throw new RecoveryError('backend: the load claimed no fencing epoch');
  const { store, doc, stats, peerSyncStates, cutAcceptorStates, cutDecision, empty } = recovery.finish();
  const leases = checkedLeases(doc, store, self);
  log.info('recovered', { revision: store.revision, keys: store.keyCount(), leases: leases.size, fencingEpoch, ...stats, ms: Date.now() - started });
  return { store, doc, leases, fencingEpoch, peerSyncStates, cutAcceptorStates, cutDecision, empty };
}

/** After checking that the document and the key index hold the same keys: this member's leases, as a restart restores them. */
export function checkedLeases(doc: KvDocument, store: MvccStore, self: LeaseOwnerSelf): LeaseStore {
  const all = liveKvs(store);
  checkSameKeys(doc, all);
  return restoreLeases(doc, all, Date.now(), self);
}

/** The key index before the first stored revision, given that revision (undefined: none stored). */
export type EmptyStore = (firstRevision: number | undefined) => MvccStore;

interface SnapshotHeader {
  throughRevision: number;
  indexRevision: number;
  heads: string[];
  documentBytes: number;
  indexBytes: number;
}

/** Takes the load chunks in order and builds the document and the key index from them. */
export class RecoveryAssembler {
  #expected = 0;
  #snapshot: SnapshotHeader | undefined;
  readonly #documentPieces: Uint8Array[] = [];
  readonly #indexPieces: Uint8Array[] = [];
  readonly #changes: Uint8Array[] = [];
  #store: MvccStore | undefined;
  #revisions = 0;
  #compactRevision: number | undefined;
  /** where recovery time goes, for the "recovered" log line */
  readonly #ms = { index: 0, patches: 0, document: 0 };
  readonly #emptyStore: EmptyStore;
  readonly #peerSyncStates = new Map<string, Uint8Array>();
  #cutAcceptorStates: CutAcceptorState[] = [];
  #cutDecision: CutProposal | undefined;

  constructor(emptyStore: EmptyStore = () => new MvccStore()) {
    this.#emptyStore = emptyStore;
  }

  accept(chunk: LoadChunk): void {
    if (chunk.index !== this.#expected++) throw new RecoveryError(`backend: load chunk ${chunk.index} arrived, expected ${this.#expected - 1}`);
    if (chunk.snapshot) this.#acceptSnapshot(chunk);
    if (chunk.snapshot_document?.length) this.#snapshotPart('document').push(chunk.snapshot_document);
    if (chunk.snapshot_index?.length) this.#snapshotPart('index').push(chunk.snapshot_index);
    this.#changes.push(...chunk.changes);
    for (const bytes of chunk.patch_batches) this.#applyPatches(codecs.patchBatch.decode(bytes).patches);
    if (chunk.done && chunk.compacted) this.#compactRevision = Number(chunk.compact_revision);
    if (chunk.done) for (const s of chunk.peer_sync_states ?? []) this.#peerSyncStates.set(String(s.member), s.state);
    if (chunk.done) this.#cutAcceptorStates = chunk.cut_acceptor_states ?? [];
    if (chunk.done) this.#cutDecision = chunk.cut_record?.proposal ?? undefined;
  }

  finish(): {
    store: MvccStore;
    doc: KvDocument;
    stats: Record<string, number>;
    peerSyncStates: ReadonlyMap<string, Uint8Array>;
    cutAcceptorStates: readonly CutAcceptorState[];
    cutDecision: CutProposal | undefined;
    empty: boolean;
  } {
    const empty = !this.#snapshot && this.#changes.length === 0 && !this.#store;
    const store = (this.#store ??= this.#baseStore([]));
    if (this.#compactRevision !== undefined && this.#compactRevision > store.compactRevision) store.compact(this.#compactRevision);
    const started = Date.now();
    const doc = this.#document();
    this.#ms.document += Date.now() - started;
    const stats = {
      snapshotRevision: this.#snapshot?.throughRevision ?? 0,
      changes: this.#changes.length,
      revisions: this.#revisions,
      indexMs: this.#ms.index,
      patchesMs: this.#ms.patches,
      documentMs: this.#ms.document,
    };
    return { store, doc, stats, peerSyncStates: this.#peerSyncStates, cutAcceptorStates: this.#cutAcceptorStates, cutDecision: this.#cutDecision, empty };
  }

  #acceptSnapshot(chunk: LoadChunk): void {
    const s = chunk.snapshot!;
    if (chunk.index !== 0) throw new RecoveryError('backend: snapshot header after the first load chunk');
    this.#snapshot = {
      throughRevision: Number(s.through_revision),
      indexRevision: Number(s.index_revision),
      heads: s.heads,
      documentBytes: Number(s.document_bytes),
      indexBytes: Number(s.index_bytes),
    };
  }

  #snapshotPart(part: 'document' | 'index'): Uint8Array[] {
    if (!this.#snapshot) throw new RecoveryError(`backend: snapshot ${part} bytes without a snapshot header`);
    if (this.#changes.length > 0 || this.#store) throw new RecoveryError(`backend: snapshot ${part} bytes after changes or patches`);
    return part === 'document' ? this.#documentPieces : this.#indexPieces;
  }

  /**
   * The first batch of the stream starts at or below the snapshot's index
   * revision: its revisions up to there are already in the key index (the
   * one at the index revision is kept for watches). Every later revision
   * must follow without a gap.
   */
  #applyPatches(patches: WirePatch[]): void {
    let rest = patches.map(revisionPatchFromWire);
    if (!this.#store) {
      const base = this.#snapshot?.indexRevision ?? 0;
      this.#store = this.#baseStore(rest.filter((p) => p.revision <= base), rest[0]?.revision);
      rest = rest.filter((p) => p.revision > base);
    }
    const started = Date.now();
    for (const p of rest) this.#store.applyRevision(p);
    this.#revisions += rest.length;
    this.#ms.patches += Date.now() - started;
  }

  #baseStore(basePatches: RevisionPatch[], firstRevision?: number): MvccStore {
    const s = this.#snapshot;
    if (!s || s.indexRevision === 0) return this.#emptyStore(firstRevision);
    const started = Date.now();
    const bytes = concatExact(this.#indexPieces.splice(0), s.indexBytes, 'key index');
    const index = codecs.snapshotIndex.decode(bytes);
    if (Number(index.revision) !== s.indexRevision) {
      throw new RecoveryError(`backend: snapshot key index is at ${index.revision}, its header says ${s.indexRevision}`);
    }
    const state: MvccState = {
      revision: s.indexRevision,
      baseRevision: s.indexRevision,
      compactRevision: Number(index.compact_revision),
      base: index.kvs.map(keyValueFromWire),
      patches: basePatches.filter((p) => p.revision === s.indexRevision),
    };
    const store = MvccStore.fromState(state);
    this.#ms.index += Date.now() - started;
    return store;
  }

  #document(): KvDocument {
    const s = this.#snapshot;
    if (!s) return loadKvDocument({ changes: this.#changes });
    const doc = loadKvDocument({ saved: concatExact(this.#documentPieces.splice(0), s.documentBytes, 'document') });
    const heads = doc.heads().slice().sort();
    if (heads.join() !== s.heads.slice().sort().join()) throw new RecoveryError('backend: snapshot document heads differ from the stored heads');
    if (this.#changes.length > 0) doc.applyChanges(this.#changes);
    return doc;
  }
}

function concatExact(pieces: Uint8Array[], bytes: number, what: string): Buffer {
  const whole = Buffer.concat(pieces);
  if (whole.length !== bytes) throw new RecoveryError(`backend: snapshot ${what} has ${whole.length} bytes, its header says ${bytes}`);
  return whole;
}

function liveKvs(store: MvccStore): { key: Buffer; lease: string }[] {
  return store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), keys_only: true }).kvs;
}

/** The document and the key index were written together: the same keys, or the state is corrupt. */
function checkSameKeys(doc: KvDocument, kvs: readonly { key: Buffer }[]): void {
  const docKeys = doc.keys();
  let same = docKeys.length === kvs.length;
  if (same) {
    const inDoc = new Set(docKeys);
    same = kvs.every((kv) => inDoc.has(kv.key.toString('latin1')));
  }
  if (!same) throw new RecoveryError(`backend: recovered document has ${docKeys.length} keys but the revision log has ${kvs.length}, or other keys`);
}

/** This member, as lease records name their owner (docs/ARCHITECTURE.md §8.6). */
export interface LeaseOwnerSelf {
  /** member id, 16 hex digits */
  memberHex: string;
  band: number;
}

/**
 * Whether this member granted the lease. A record without owner was written
 * by a single node or before leases had owners: it is the founding
 * member's, band 0 (a single node is band 0).
 */
export function isOwnLease(record: LeaseRecord, self: LeaseOwnerSelf): boolean {
  return record.owner === undefined ? self.band === 0 : record.owner === self.memberHex;
}

/**
 * This member's own leases come back from the document with a full TTL
 * each, as etcd renews every lease after a leader change; their keys are
 * found in the key index. A peer's lease is not restored: only its owner
 * expires it, and its keys are plain keys with a lease id here.
 */
export function restoreLeases(doc: KvDocument, kvs: readonly { key: Buffer; lease: string }[], nowMs: number, self: LeaseOwnerSelf): LeaseStore {
  const leases = new LeaseStore();
  for (const record of doc.leases()) if (isOwnLease(record, self)) leases.restore(record.id, record.ttl, nowMs);
  for (const kv of kvs) if (kv.lease !== '0') leases.attach(kv.key.toString('latin1'), kv.lease);
  return leases;
}
