// The node's etcd key space as one Automerge document, written only through
// the low-level (wasm) handle: the high-level `change()` API copies the whole
// changed map per change (a few changes/s at 100k keys).
//
// The handle is reached through `getBackend(init())`, the only way the
// package's export map offers: `init()` on an empty document costs nothing,
// and the JS document it returns is dropped at once, so no proxy ever
// materializes the map. A save is read with `loadIncremental` into that empty
// handle, which Automerge turns into a full load that keeps our actor id.
import { decodeChange, generateSyncMessage as generateSync, getBackend, init, receiveSyncMessage as receiveSync } from '@automerge/automerge';
import type { Doc, Patch } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseActorId, baseChangeBytes, kvMapId, kvMapKey, leasesMapId, leasesMapKey } from './base-change.js';
import { changeHeaderOf } from './change-header.js';
import type { ChangeHeader } from './change-header.js';
import { decodeChangeOrigin, encodeChangeOrigin } from './change-origin.js';
import type { ChangeOrigin } from './change-origin.js';
import { assertLatin1Key } from './latin1-key.js';
import { bandKey, bandKeyPrefix, decodeBandReservation, encodeBandReservation } from './band-reservation.js';
import type { BandReservation } from './band-reservation.js';
import { decodeMemberRecord, encodeMemberRecord, memberIdHex, memberKey, memberKeyPrefix, visibleMemberRecord } from './member-record.js';
import type { MemberRecord } from './member-record.js';
import { clockRecordKey, encodeClockRecord } from './cut-floor.js';
import { lineageOfHandle } from './lineage.js';
import type { Lineage } from './lineage.js';

/** The root entries of etcd's auth state (users, roles, the flag): one JSON scalar each, as the member table. */
export const authRecordPrefix = 'auth:';
import type { PeerSync } from './peer-sync.js';
import { decodeStoredValue, decodeTaggedStoredValue, encodeStoredValue, encodeTaggedStoredValue, parseLease } from './stored-value.js';
import type { TaggedStoredValue } from './stored-value.js';
import { compareTags } from './txn-tag.js';
import type { TxnTag } from './txn-tag.js';

type Handle = ReturnType<typeof getBackend>;
/**
 * The JS document `init()` returns, kept only because Automerge's sync calls
 * take a document rather than a handle; its root never materializes the maps
 * (patches below `kv` find no `kv` object in it and are dropped).
 */
type SyncDoc = Doc<Record<string, never>>;

export interface EncodedChange {
  actorId: string;
  seq: number;
  bytes: Uint8Array;
}

/** A change applied from a peer. */
export interface AppliedChange {
  hash: string;
  /** The writer (hex) and its sequence number: what the change is stored under. */
  actor: string;
  seq: number;
  /** From the change's message; undefined for changes without one (the base, a single node's, a rebase). */
  origin?: ChangeOrigin;
  bytes: Uint8Array;
}

export interface PeerApplyResult {
  /** The changes that were new to this document, in the order applied. */
  applied: AppliedChange[];
  /** Keys of the `kv` map whose values changed (byte order); their visible values may or may not have. */
  touchedKeys: string[];
  /** Some changes need changes this document lacks: those were not applied (push) or are held by Automerge until they come (sync). */
  missingDeps: boolean;
}

/** One of the values Automerge keeps for a key, with its header; `visible` marks the one `get` answers. */
export interface KeyValue extends TaggedStoredValue {
  visible: boolean;
}

export type ConflictKind = 'put/put' | 'put/delete' | 'delete/put';

/** A value that lost to the visible one; kind is winner/loser ("put/delete": a put beat a delete). */
export interface KeyConflict {
  key: string;
  kind: ConflictKind;
  winner: TaggedStoredValue;
  loser: TaggedStoredValue;
}

/** A granted lease as the document keeps it (docs/ARCHITECTURE.md §5d, §8.6). */
export interface LeaseRecord {
  /** decimal int64 */
  id: string;
  /** granted TTL in seconds */
  ttl: number;
  /** the granting member's id (16 hex digits); absent: the founding member's (band 0), or a single node's */
  owner?: string;
}

/**
 * A document's state at some heads, as the base of a coordinated history cut
 * keeps it (docs/ARCHITECTURE.md §8.10): each value exactly as stored, one
 * per entry, so that equal states give equal bases whatever their histories.
 */
export interface CutState {
  /** every key of the `kv` map with its visible value (a tombstone included), in byte order */
  kv: { key: string; stored: Uint8Array }[];
  /** every lease record as stored (int TTL, or "<ttl>@<owner>") */
  leases: { id: string; stored: number | string }[];
  /** every root entry but the two maps (member records, band reservations, auth records, the tagged mark), in key order */
  root: { key: string; value: string | number | boolean }[];
}

export interface KvDocument {
  /** Hex; one writer per actor id, ever. */
  readonly actorId: string;
  /** key: Latin-1 string (one char per byte); lease: decimal int64 string, "0" = none. */
  put(key: string, value: Uint8Array, lease: string): void;
  delete(key: string): void;
  /** A write of a transaction tagged for conflict resolution (docs/ARCHITECTURE.md §8.2). */
  putTagged(key: string, value: Uint8Array, lease: string, tag: TxnTag, originRevision: bigint): void;
  /** Writes a tombstone, which competes with concurrent puts by tag. */
  deleteTagged(key: string, tag: TxnTag, originRevision: bigint): void;
  /** The visible value: the highest tag among the values Automerge keeps (a tombstone: none). Sees uncommitted writes too. */
  get(key: string): { value: Uint8Array; lease: string } | undefined;
  /** Every value Automerge keeps for `key`, the visible one marked. */
  visibleValues(key: string): KeyValue[];
  /** The values that lost to the visible one (none for one value; two tombstones are no conflict). */
  conflictsOf(key: string): KeyConflict[];
  /** One change for every write since the last commit, carrying `origin` in its message; undefined if nothing changed. */
  commit(origin?: ChangeOrigin): EncodedChange | undefined;
  /** Peer changes: skips those already held, applies those whose dependencies are held, reports the rest (never queues them). */
  applyPeerChanges(changes: Uint8Array[]): PeerApplyResult;
  /** The next sync message for the peer `sync` stands for; undefined when there is nothing to say. */
  generateSyncMessage(sync: PeerSync): Uint8Array | undefined;
  /** Applies a peer's sync message (and any changes in it). */
  receiveSyncMessage(sync: PeerSync, message: Uint8Array): PeerApplyResult;
  /** Every change not reachable from `heads` (every change for []). */
  changesSince(heads: string[]): Uint8Array[];
  /** Per member (id, 16 hex digits), the highest origin revision among the changes held: O(changes), reads headers only. */
  originsHeld(): Map<string, bigint>;
  hasChange(hash: string): boolean;
  /** Writes a member's record into the member table (id: 16 hex digits). */
  putMember(idHex: string, record: MemberRecord): void;
  /** The member table, by id. */
  members(): { id: string; record: MemberRecord }[];
  /** Writes a band reservation (MemberAdd, band-reservation.ts). */
  putBandReservation(band: number, reservation: BandReservation): void;
  /** Every band reservation, each with all its concurrent values. */
  bandReservations(): { band: number; values: BandReservation[] }[];
  /** Writes (a JSON string) or, with undefined, deletes one auth record (key `auth:…`; docs/ARCHITECTURE.md §5g). */
  setAuthRecord(key: string, value: string | undefined): void;
  /** Every auth record. */
  authRecords(): { key: string; value: string }[];
  /** Writes this member's clock record (its HLC), which bounds the tags of its later writes (cut-floor.ts). */
  putClockRecord(idHex: string, hlc: bigint): void;
  /** The state at `heads` (which this document must hold) as a coordinated cut's base keeps it (cut-base.ts). */
  cutStateAt(heads: string[]): CutState;
  /** The lineage the document is on (lineage.ts): found at the first call, then kept. */
  lineage(): Lineage;
  /** Changes from storage or peers; throws AutomergeDocError if dependencies stay missing. */
  applyChanges(changes: Uint8Array[]): void;
  /** The whole document. */
  save(): Uint8Array;
  heads(): string[];
  /** Number of keys (tombstones are not keys). */
  size(): number;
  /** Every op the document keeps, live or overwritten: what its memory follows. */
  opCount(): number;
  /** Every key (not tombstones), in byte order. O(keys): ~60 ms at 100k keys. */
  keys(): string[];
  /**
   * A granted lease (decimal int64 id) and its TTL in seconds; the backend keeps expiry times itself.
   * `ownerHex`: the granting member's id (16 hex digits), given only when the member has peers.
   */
  putLease(id: string, ttlSeconds: number, ownerHex?: string): void;
  deleteLease(id: string): void;
  /** The lease record of `id`, if any (granted by any member). */
  lease(id: string): LeaseRecord | undefined;
  /** Every lease, by id as stored. */
  leases(): LeaseRecord[];
  /** Releases the wasm memory of this document; it must not be used afterwards. */
  free(): void;
}

const hexActor = /^(?:[0-9a-f]{2})+$/;
// Every local change carries time 0: Automerge never uses the time for
// merging, eckd keeps wall-clock time in its own revision log, and a fixed
// time makes identical writes by one actor yield identical bytes and hashes,
// which tests and replays can compare.
const commitTimeMs = 0;

class AutomergeKvDocument implements KvDocument {
  readonly actorId: string;
  private readonly handle: Handle;
  private syncDoc: SyncDoc;
  /** Changes this actor has made; undefined until its next commit reads it (a reloaded writer). */
  private seq: number | undefined;
  private cachedSize: number | undefined;
  /** Whether the document holds tagged values (its root has the mark); until then get() reads as a single node does. */
  private tagged: boolean;
  /**
   * Keys whose visible value is a tombstone, and keys holding more than one
   * value, kept up to date by every write and peer apply so that size() and
   * keys() cost nothing extra while a document has none; undefined after a
   * load or applyChanges of a tagged document (unknown until the next
   * size(), keys() or peer apply scans once, ~1 s at 100k keys).
   */
  private keyState: KeyState | undefined;
  private cachedLineage: Lineage | undefined;

  constructor(handle: Handle, syncDoc: SyncDoc, seq: number | undefined) {
    this.handle = handle;
    this.syncDoc = syncDoc;
    this.actorId = handle.getActorId();
    this.seq = seq;
    this.tagged = hasTaggedMark(handle);
    this.keyState = this.tagged ? undefined : emptyKeyState();
  }

  put(key: string, value: Uint8Array, lease: string): void {
    assertLatin1Key(key);
    this.handle.put(kvMapId, key, encodeStoredValue(value, lease));
    this.wrote(key, false);
  }

  delete(key: string): void {
    assertLatin1Key(key);
    this.handle.delete(kvMapId, key);
    this.wrote(key, false);
  }

  putTagged(key: string, value: Uint8Array, lease: string, tag: TxnTag, originRevision: bigint): void {
    assertLatin1Key(key);
    this.handle.put(kvMapId, key, encodeTaggedStoredValue({ value, lease, tag, originRevision, tombstone: false }));
    this.markTagged();
    this.wrote(key, false);
  }

  deleteTagged(key: string, tag: TxnTag, originRevision: bigint): void {
    assertLatin1Key(key);
    this.handle.put(kvMapId, key, encodeTaggedStoredValue({ value: new Uint8Array(), lease: '0', tag, originRevision, tombstone: true }));
    this.markTagged();
    this.wrote(key, true);
  }

  get(key: string): { value: Uint8Array; lease: string } | undefined {
    assertLatin1Key(key);
    if (!this.tagged) {
      const stored = this.handle.get(kvMapId, key);
      return stored === undefined ? undefined : decodeStoredValue(stored);
    }
    const all = this.handle.getAll(kvMapId, key);
    // A lone untagged value: nothing to compare.
    if (all.length === 1) {
      const stored = all[0]![1];
      if (stored instanceof Uint8Array && stored[0] !== taggedFormat) return decodeStoredValue(stored);
    }
    const visible = visibleOf(all.map(decodeEntry));
    return visible === undefined || visible.tombstone ? undefined : { value: visible.value, lease: visible.lease };
  }

  visibleValues(key: string): KeyValue[] {
    assertLatin1Key(key);
    const values = this.handle.getAll(kvMapId, key).map(decodeEntry);
    const visible = visibleOf(values);
    return values.map((v) => ({ ...v, visible: v === visible }));
  }

  conflictsOf(key: string): KeyConflict[] {
    const values = this.visibleValues(key);
    const winner = values.find((v) => v.visible);
    if (winner === undefined) return [];
    const conflicts: KeyConflict[] = [];
    for (const loser of values) {
      // Two tombstones lose nothing: the key is absent either way.
      if (loser === winner || (loser.tombstone && winner.tombstone)) continue;
      const kind: ConflictKind = winner.tombstone ? 'delete/put' : loser.tombstone ? 'put/delete' : 'put/put';
      conflicts.push({ key, kind, winner: withoutMark(winner), loser: withoutMark(loser) });
    }
    return conflicts;
  }

  commit(origin?: ChangeOrigin): EncodedChange | undefined {
    // Puts of identical bytes and deletes of absent keys make no op at all.
    if (this.handle.pendingOps() === 0) return undefined;
    const hash = this.handle.commit(origin === undefined ? undefined : encodeChangeOrigin(origin), commitTimeMs);
    const bytes = this.handle.getLastLocalChange();
    if (hash === null || bytes === null) throw new AutomergeDocError('commit of pending ops made no change');
    this.seq = this.seq === undefined ? decodeChange(bytes).seq : this.seq + 1;
    return { actorId: this.actorId, seq: this.seq, bytes };
  }

  applyChanges(changes: Uint8Array[]): void {
    this.assertCommitted('applyChanges');
    this.cachedSize = undefined;
    applyAll(this.handle, changes);
    this.tagged = hasTaggedMark(this.handle);
    this.keyState = this.tagged ? undefined : emptyKeyState();
  }

  applyPeerChanges(changes: Uint8Array[]): PeerApplyResult {
    this.assertCommitted('applyPeerChanges');
    const fresh = new Map<string, { bytes: Uint8Array; header: ChangeHeader }>();
    for (const bytes of changes) {
      let header;
      try {
        header = changeHeaderOf(bytes);
      } catch (err) {
        throw new AutomergeDocError(`cannot decode a peer change: ${(err as Error).message}`, { cause: err });
      }
      if (!this.hasChange(header.hash)) fresh.set(header.hash, { bytes, header });
    }
    // Automerge would queue a change whose dependencies are missing, silently
    // and for good, so only changes whose whole ancestry is here or in this
    // batch are handed to it; the rest are left for a sync round to bring in order.
    const ready: string[] = [];
    const readySet = new Set<string>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const [hash, change] of fresh) {
        if (readySet.has(hash) || !change.header.deps.every((dep) => readySet.has(dep) || this.hasChange(dep))) continue;
        readySet.add(hash);
        ready.push(hash);
        grew = true;
      }
    }
    const missingDeps = ready.length < fresh.size;
    if (ready.length === 0) return { applied: [], touchedKeys: [], missingDeps };
    const before = this.beforePeerApply();
    // The diff since a cursor moved here comes from Automerge's patch log,
    // in proportion to what was applied; a diff between two heads walks the
    // whole op set (docs/BENCHMARKS.md, "Several members").
    this.handle.updateDiffCursor();
    applyEach(this.handle, ready.map((hash) => fresh.get(hash)!.bytes));
    // Changes a lossy sync round left in Automerge's queue may have come free too.
    const added = this.handle.getChanges(before.heads);
    const applied =
      added.length === ready.length
        ? ready.map((hash) => appliedChange(fresh.get(hash)!.bytes, fresh.get(hash)!.header))
        : added.map((bytes) => appliedChange(bytes, changeHeaderOf(bytes)));
    const touchedKeys = this.afterPeerApply(before, this.handle.diffIncremental());
    return { applied, touchedKeys, missingDeps };
  }

  generateSyncMessage(sync: PeerSync): Uint8Array | undefined {
    this.assertCommitted('generateSyncMessage');
    const [state, message] = generateSync(this.syncDoc, sync.state);
    sync.state = state;
    return message ?? undefined;
  }

  receiveSyncMessage(sync: PeerSync, message: Uint8Array): PeerApplyResult {
    this.assertCommitted('receiveSyncMessage');
    const before = this.beforePeerApply();
    // Automerge's sync call works out the patches since the diff cursor (for
    // a JS document that never holds the maps); from a cursor moved here they
    // are the diff of what this message brings, which is what we need too.
    this.handle.updateDiffCursor();
    let patches: Patch[] = [];
    try {
      [this.syncDoc, sync.state] = receiveSync(this.syncDoc, sync.state, message, {
        patchCallback: (p) => {
          patches = p;
        },
      });
    } catch (err) {
      throw new AutomergeDocError(`cannot receive a sync message: ${(err as Error).message}`, { cause: err });
    }
    const applied = sameHeads(before.heads, this.handle.getHeads())
      ? []
      : this.handle.getChanges(before.heads).map((bytes) => appliedChange(bytes, changeHeaderOf(bytes)));
    // After a lost message, changes whose ancestors it carried wait in Automerge's queue until a later round brings those.
    const missingDeps = this.handle.getMissingDeps().length > 0;
    return { applied, touchedKeys: applied.length === 0 ? [] : this.afterPeerApply(before, patches), missingDeps };
  }

  changesSince(heads: string[]): Uint8Array[] {
    this.assertCommitted('changesSince');
    try {
      return this.handle.getChanges(heads);
    } catch (err) {
      throw new AutomergeDocError(`cannot list changes since ${heads.join(',')}: ${(err as Error).message}`, { cause: err });
    }
  }

  originsHeld(): Map<string, bigint> {
    const highest = new Map<string, bigint>();
    for (const bytes of this.changesSince([])) {
      const { origin } = originOf(changeHeaderOf(bytes).message);
      if (!origin) continue;
      const member = origin.member.toString(16).padStart(16, '0');
      if (origin.revision > (highest.get(member) ?? -1n)) highest.set(member, origin.revision);
    }
    return highest;
  }

  hasChange(hash: string): boolean {
    if (!changeHash.test(hash)) throw new AutomergeDocError(`not a change hash: ${JSON.stringify(hash)}`);
    // Cheaper than getChangeByHash, which copies the change out.
    return !this.handle.getMissingDeps([hash]).includes(hash);
  }

  putMember(idHex: string, record: MemberRecord): void {
    this.handle.put('_root', memberKey(idHex), encodeMemberRecord(record));
  }

  members(): { id: string; record: MemberRecord }[] {
    return this.handle
      .keys('_root')
      .filter((k) => k.startsWith(memberKeyPrefix))
      .map((k) => ({ id: k.slice(memberKeyPrefix.length), record: visibleMemberRecord(decodeMemberRecord(this.handle.get('_root', k)), this.handle.getAll('_root', k).map((v) => decodeMemberRecord(v[1]))) }));
  }

  putBandReservation(band: number, reservation: BandReservation): void {
    this.handle.put('_root', bandKey(band), encodeBandReservation(reservation));
  }

  bandReservations(): { band: number; values: BandReservation[] }[] {
    return this.handle
      .keys('_root')
      .filter((k) => k.startsWith(bandKeyPrefix))
      .map((k) => ({ band: Number(k.slice(bandKeyPrefix.length)), values: this.handle.getAll('_root', k).map((v) => decodeBandReservation(v[1])) }));
  }

  setAuthRecord(key: string, value: string | undefined): void {
    if (!key.startsWith(authRecordPrefix)) throw new AutomergeDocError(`auth record key must start with ${authRecordPrefix}, got ${JSON.stringify(key)}`);
    if (value === undefined) this.handle.delete('_root', key);
    else this.handle.put('_root', key, value);
  }

  authRecords(): { key: string; value: string }[] {
    return this.handle
      .keys('_root')
      .filter((k) => k.startsWith(authRecordPrefix))
      .map((key) => ({ key, value: String(this.handle.get('_root', key)) }));
  }

  putClockRecord(idHex: string, hlc: bigint): void {
    this.handle.put('_root', clockRecordKey(idHex), encodeClockRecord(hlc));
  }

  cutStateAt(heads: string[]): CutState {
    this.assertCommitted('cutStateAt');
    for (const hash of heads) if (!this.hasChange(hash)) throw new AutomergeDocError(`cut state at heads this document lacks: ${hash}`);
    // A read at given heads costs Automerge a walk of the change graph per read (measured: 290 s for
    // 100,000 keys over 3,658 changes of three actors), so a document whose heads are H is read as it is.
    const current = this.heads();
    const at = current.length === heads.length && current.every((h) => heads.includes(h)) ? undefined : heads;
    const kv = this.handle.keys(kvMapId, at).map((key) => {
      const values = this.handle.getAll(kvMapId, key, at);
      // The tag rule's winner; among untagged values Automerge's own (the last).
      const visible = values[visibleIndex(values.map(decodeEntry))]!;
      return { key, stored: visible[1] as Uint8Array };
    });
    const leases = this.handle.keys(leasesMapId, at).map((id) => ({ id, stored: this.handle.get(leasesMapId, id, at) as number | string }));
    const root = this.handle
      .keys('_root', at)
      .filter((key) => key !== kvMapKey && key !== leasesMapKey)
      .sort()
      .map((key) => ({ key, value: rootEntryAt(this.handle, key, at) }));
    return { kv, leases, root };
  }

  lineage(): Lineage {
    this.cachedLineage ??= lineageOfHandle(this.handle);
    return this.cachedLineage;
  }

  save(): Uint8Array {
    this.assertCommitted('save');
    return this.handle.save();
  }

  heads(): string[] {
    this.assertCommitted('heads');
    return this.handle.getHeads();
  }

  size(): number {
    // length() walks the map (~4 ms at 100k keys), so it is kept until a write.
    this.cachedSize ??= this.handle.length(kvMapId) - this.knownKeyState().tombstones.size;
    return this.cachedSize;
  }

  keys(): string[] {
    const { tombstones } = this.knownKeyState();
    const keys = this.handle.keys(kvMapId);
    return tombstones.size === 0 ? keys : keys.filter((k) => !tombstones.has(k));
  }

  opCount(): number {
    return this.handle.stats().numOps;
  }

  free(): void {
    this.handle.free();
  }

  putLease(id: string, ttlSeconds: number, ownerHex?: string): void {
    assertLeaseId(id);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
      throw new AutomergeDocError(`lease TTL must be a non-negative integer of seconds, got ${ttlSeconds}`);
    }
    if (ownerHex === undefined) {
      this.handle.put(leasesMapId, id, ttlSeconds, 'int');
      return;
    }
    if (!memberIdHex.test(ownerHex)) throw new AutomergeDocError(`lease owner must be a member id of 16 hex digits, got ${JSON.stringify(ownerHex)}`);
    this.handle.put(leasesMapId, id, `${ttlSeconds}${leaseOwnerSeparator}${ownerHex}`, 'str');
  }

  deleteLease(id: string): void {
    assertLeaseId(id);
    this.handle.delete(leasesMapId, id);
  }

  lease(id: string): LeaseRecord | undefined {
    const stored = this.handle.get(leasesMapId, id);
    return stored === undefined ? undefined : decodeLeaseRecord(id, stored);
  }

  leases(): LeaseRecord[] {
    return this.handle.keys(leasesMapId).map((id) => decodeLeaseRecord(id, this.handle.get(leasesMapId, id)));
  }

  private markTagged(): void {
    if (this.tagged) return;
    this.handle.put('_root', taggedMarkKey, true);
    this.tagged = true;
  }

  private wrote(key: string, tombstone: boolean): void {
    this.cachedSize = undefined;
    if (this.keyState === undefined) return;
    // A local write replaces every value the key held.
    this.keyState.conflicted.delete(key);
    if (tombstone) this.keyState.tombstones.add(key);
    else this.keyState.tombstones.delete(key);
  }

  /** What afterPeerApply compares against: the heads, and the values of every key that held more than one. */
  private beforePeerApply(): { heads: string[]; conflictedValues: Map<string, string> } {
    const { conflicted } = this.knownKeyState();
    return { heads: this.handle.getHeads(), conflictedValues: new Map([...conflicted].map((k) => [k, this.valueIds(k)])) };
  }

  /**
   * The keys whose values the applied changes altered, in byte order, with
   * size and key state brought up to date. Automerge's diff shows a key when
   * its own winner changes or when it first holds two values, but not a
   * further value arriving beside an existing conflict (which may win by
   * tag), so the keys that held several values before are compared too.
   */
  private afterPeerApply(before: { conflictedValues: Map<string, string> }, patches: Patch[]): string[] {
    this.cachedSize = undefined;
    this.tagged ||= hasTaggedMark(this.handle);
    const touched = new Set<string>();
    for (const patch of patches) {
      if (patch.path[0] === kvMapKey && typeof patch.path[1] === 'string') touched.add(patch.path[1]);
    }
    for (const [key, ids] of before.conflictedValues) if (this.valueIds(key) !== ids) touched.add(key);
    const state = this.knownKeyState();
    for (const key of touched) {
      const values = this.handle.getAll(kvMapId, key);
      if (values.length > 1) state.conflicted.add(key);
      else state.conflicted.delete(key);
      if (visibleOf(values.map(decodeEntry))?.tombstone === true) state.tombstones.add(key);
      else state.tombstones.delete(key);
    }
    return [...touched].sort();
  }

  /** The op ids of a key's values: they change exactly when its values do. */
  private valueIds(key: string): string {
    return this.handle
      .getAll(kvMapId, key)
      .map((entry) => String(entry[entry.length - 1]))
      .join(' ');
  }

  private knownKeyState(): KeyState {
    if (this.keyState === undefined) {
      const state = emptyKeyState();
      for (const key of this.handle.keys(kvMapId)) {
        const values = this.handle.getAll(kvMapId, key);
        if (values.length > 1) state.conflicted.add(key);
        if (visibleOf(values.map(decodeEntry))?.tombstone === true) state.tombstones.add(key);
      }
      this.keyState = state;
    }
    return this.keyState;
  }

  /**
   * Automerge would quietly commit pending writes before these calls, making
   * a change that `commit()` never returned to the caller.
   */
  private assertCommitted(operation: string): void {
    if (this.handle.pendingOps() !== 0) {
      throw new AutomergeDocError(`${operation} called with uncommitted writes; commit() first`);
    }
  }
}

const taggedFormat = 0x02;
/**
 * A root entry (true) written with the first tagged value, so that a
 * document without it (every single node's) knows it holds neither tags nor
 * tombstones: its get() reads Automerge's one value as before, and a loaded
 * one never scans its keys for tombstones. Concurrent marks by two members
 * are equal values.
 */
const taggedMarkKey = 'tagged';
/** Between TTL and owner in a lease record written with peers: "<ttl>@<owner id hex>". */
const leaseOwnerSeparator = '@';

function hasTaggedMark(handle: Handle): boolean {
  return handle.get('_root', taggedMarkKey) === true;
}
const changeHash = /^[0-9a-f]{64}$/;

function decodeEntry(entry: unknown[]): TaggedStoredValue {
  return decodeTaggedStoredValue(entry[1]);
}

/** The highest tag; among equal tags (untagged values) the last, which is Automerge's own winner. */
function visibleOf<T extends TaggedStoredValue>(values: T[]): T | undefined {
  const index = visibleIndex(values);
  return index < 0 ? undefined : values[index];
}

/** Where visibleOf's value sits in `values` (-1 for none). */
function visibleIndex(values: readonly TaggedStoredValue[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (best < 0 || compareTags(values[i]!.tag, values[best]!.tag) >= 0) best = i;
  return best;
}

/**
 * The one value a cut's base keeps for a root entry: the value every member
 * reads. A member record: a removal if any (visibleMemberRecord); a band
 * reservation: a release if any (a release wins, §8.5); else Automerge's winner.
 */
function rootEntryAt(handle: Handle, key: string, heads: string[] | undefined): string | number | boolean {
  const values = handle.getAll('_root', key, heads).map((entry) => entry[1] as string | number | boolean);
  if (key.startsWith(memberKeyPrefix)) return values.find((v) => decodeMemberRecord(v).removed) ?? (handle.get('_root', key, heads) as string);
  if (key.startsWith(bandKeyPrefix)) return values.find((v) => decodeBandReservation(v).released) ?? (handle.get('_root', key, heads) as string);
  return handle.get('_root', key, heads) as string | number | boolean;
}

function withoutMark({ visible: _visible, ...value }: KeyValue): TaggedStoredValue {
  return value;
}

interface KeyState {
  tombstones: Set<string>;
  conflicted: Set<string>;
}

function emptyKeyState(): KeyState {
  return { tombstones: new Set(), conflicted: new Set() };
}

function appliedChange(bytes: Uint8Array, header: ChangeHeader): AppliedChange {
  return { hash: header.hash, actor: header.actor, seq: header.seq, ...originOf(header.message), bytes };
}

function originOf(message: string | null): { origin?: ChangeOrigin } {
  // A peer's change with a message that is not an origin is still applied; it just names no origin.
  try {
    const origin = decodeChangeOrigin(message);
    return origin === undefined ? {} : { origin };
  } catch {
    return {};
  }
}

function sameHeads(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

/**
 * A lease record is the granted TTL as an int (a single node, and every
 * document written before leases had owners: they belong to the founding
 * member, band 0) or, with peers, the string "<ttl>@<owner id hex>": one
 * scalar, so a grant stays one put and old documents read as before.
 */
function decodeLeaseRecord(id: string, stored: unknown): LeaseRecord {
  if (typeof stored === 'string') {
    const at = stored.indexOf(leaseOwnerSeparator);
    const ttl = Number(stored.slice(0, at));
    const owner = stored.slice(at + 1);
    if (at <= 0 || !Number.isSafeInteger(ttl) || !memberIdHex.test(owner)) throw new AutomergeDocError(`lease ${id} has a bad record ${JSON.stringify(stored)}`);
    return { id, ttl, owner };
  }
  return { id, ttl: Number(stored) };
}

function assertLeaseId(id: string): void {
  if (parseLease(id) === 0n) throw new AutomergeDocError('lease id 0 means "no lease" and cannot be stored');
}

function applyEach(handle: Handle, changes: Uint8Array[]): void {
  try {
    handle.applyChanges(changes);
  } catch (err) {
    throw new AutomergeDocError(`cannot apply changes: ${(err as Error).message}`, { cause: err });
  }
}

function applyAll(handle: Handle, changes: Uint8Array[]): void {
  applyEach(handle, changes);
  // Automerge queues changes whose dependencies it has not seen and says
  // nothing; they stay queued and apply once the dependencies arrive.
  const missing = handle.getMissingDeps();
  if (missing.length > 0) {
    throw new AutomergeDocError(`${missing.length} dependencies missing, e.g. ${missing[0]}`);
  }
}

function newHandle(actorId: string | undefined): { handle: Handle; syncDoc: SyncDoc } {
  if (actorId !== undefined && (!hexActor.test(actorId) || actorId === baseActorId)) {
    throw new AutomergeDocError(`actorId must be lower-case hex bytes other than the base actor, got ${actorId}`);
  }
  // Without an actor Automerge picks a random one.
  const syncDoc = init<Record<string, never>>(actorId === undefined ? {} : { actor: actorId });
  return { handle: getBackend(syncDoc), syncDoc };
}

/** A new document: the deterministic base, then writes by `actorId` (random unless given). */
export function createKvDocument(opts: { actorId?: string } = {}): KvDocument {
  const { handle, syncDoc } = newHandle(opts.actorId);
  applyAll(handle, [baseChangeBytes()]);
  return new AutomergeKvDocument(handle, syncDoc, 0);
}

/**
 * A saved document (or the base) plus later changes. The actor id is fresh
 * and random by default; pass one only to go on writing as the same writer
 * with all of its history in `saved`/`changes`.
 */
export function loadKvDocument(opts: { saved?: Uint8Array; base?: Uint8Array; changes?: Uint8Array[]; actorId?: string }): KvDocument {
  const { handle, syncDoc } = newHandle(opts.actorId);
  if (opts.saved !== undefined) {
    loadSaved(handle, opts.saved);
  } else {
    // The original base, or a rebase change (see rebase.ts) that replaced the history before it.
    applyAll(handle, [opts.base ?? baseChangeBytes()]);
  }
  if (opts.changes !== undefined && opts.changes.length > 0) applyAll(handle, opts.changes);
  // A fresh actor has written nothing; a given one may have, so its seq is
  // read from its first new change.
  return new AutomergeKvDocument(handle, syncDoc, opts.actorId === undefined ? 0 : undefined);
}

function loadSaved(handle: Handle, saved: Uint8Array): void {
  try {
    handle.loadIncremental(saved);
  } catch (err) {
    throw new AutomergeDocError(`cannot load saved document: ${(err as Error).message}`, { cause: err });
  }
  // loadIncremental skips what it cannot parse instead of throwing, so a
  // corrupt or foreign save shows up as a document without the base map.
  if (handle.get('_root', kvMapKey) !== kvMapId) {
    throw new AutomergeDocError('saved document is not an eckd document (no base kv map)');
  }
  if (handle.getMissingDeps().length > 0) {
    throw new AutomergeDocError('saved document has missing dependencies');
  }
}
