// The joining side of the snapshot join (docs/ARCHITECTURE.md §8.5): a
// member whose database is empty takes a peer's saved document instead of
// the whole history through sync rounds. It asks (a joining node its
// ECKD_JOIN member, up to ECKD_SNAPSHOT_ATTEMPTS times with backoff; a
// member of ECKD_INITIAL_CLUSTER started late each peer once), stores the
// snapshot with its first append (one transaction: the snapshot as the
// stored document, the key index's first revision, the sync states to start
// from), and starts from it. Whatever fails is logged, and the member starts
// from its empty state, catching up through the sync rounds as before.
import { encodedPeerSyncOfHeads, lineageIdOnWire, loadKvDocument } from '@eckd/automerge-doc';
import type { KvDocument } from '@eckd/automerge-doc';
import { clusterSubjects, codecs, membersCodecs, validated, validators } from '@eckd/change-codec';
import type { NodeIdentity } from '@eckd/change-codec';
import type { LeaseStore, MvccStore, PutRequest, RequestOp, RevisionPatch } from '@eckd/mvcc';
import { retry } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { counter } from '@eckd/telemetry';
import { appendTooLarge } from '../append-pipeline.js';
import { checkedLeases } from '../recovery.js';
import type { LeaseOwnerSelf } from '../recovery.js';
import type { JoinedCluster } from './member-join.js';
import { emptyStoreOfBand } from './peer-config.js';
import type { ClusterStart, SnapshotLimits } from './peer-config.js';
import type { PeerMember } from './peer-link.js';
import { SnapshotAssembler } from './snapshot-stream.js';
import type { PeerSnapshot } from './snapshot-stream.js';

const taken = counter('eckd_peer_snapshots_taken_total', "Snapshots this member started from: a peer's document instead of its whole history (ARCHITECTURE §8.5).");

/** The state a member starts from after storing a peer's snapshot. */
export interface SnapshotStart {
  store: MvccStore;
  doc: KvDocument;
  leases: LeaseStore;
  /** per peer (member id, decimal): the persisted sync state its rounds start from */
  peerSyncStates: ReadonlyMap<string, Uint8Array>;
  /** per origin (member id, decimal): the highest revision of its the snapshot held (told to it by PeerStored) */
  origins: ReadonlyMap<string, number>;
}

export interface SnapshotJoinOptions {
  messenger: Messenger;
  subjectPrefix: string;
  identity: NodeIdentity;
  cluster: JoinedCluster;
  start: ClusterStart;
  limits: SnapshotLimits;
  /** the node's persister.append subject, the fencing epoch its load claimed, and the append bounds */
  append: { subject: string; fencingEpoch: number; timeoutMs: number; bytesMax: number };
  onFenced: (reason: string) => never;
  log: Logger;
}

/** Whom to ask, in order: the ECKD_JOIN member `attempts` times, or each other member of ECKD_INITIAL_CLUSTER once. */
export function snapshotSources(start: ClusterStart, cluster: JoinedCluster, attempts: number): PeerMember[] {
  if (attempts === 0) return [];
  const peers = cluster.members.filter((m) => m.id !== cluster.self.id && !m.removed);
  if (start.state === 'new') return peers;
  const join = peers.find((m) => m.name === start.join);
  return join ? Array.from({ length: attempts }, () => join) : [];
}

/** The snapshot stored and the state to start from; undefined when none could be taken (logged: the sync rounds catch up instead). */
export async function startFromSnapshot(opts: SnapshotJoinOptions): Promise<SnapshotStart | undefined> {
  const sources = snapshotSources(opts.start, opts.cluster, opts.limits.attempts);
  if (sources.length === 0) return undefined;
  const started = Date.now();
  try {
    // Backoff only when asking the join member again; a late member asks the next peer at once.
    const again = opts.start.state === 'existing';
    const result = await retry((n) => takeSnapshot(opts, sources[n - 1]!), {
      attemptsMax: sources.length,
      delayInitialMs: again ? 250 : 0,
      delayMaxMs: again ? 2_000 : 0,
      onRetry: (err, attempt) => opts.log.warn('snapshot join: no snapshot yet, asking again', { from: sources[attempt - 1]!.name, attempt, err }),
    });
    taken.add(1);
    opts.log.info('started from a snapshot', { from: result.from, bytes: result.bytes, keys: result.start.store.keyCount(), revision: result.start.store.revision, ...result.ms, ms: Date.now() - started });
    return result.start;
  } catch (err) {
    opts.log.warn('snapshot join failed: catching up through sync rounds instead', { asked: [...new Set(sources.map((s) => s.name))], err });
    return undefined;
  }
}

/** One attempt: fetch from `from`, store, and build the state. */
async function takeSnapshot(opts: SnapshotJoinOptions, from: PeerMember): Promise<{ start: SnapshotStart; from: string; bytes: number; ms: Record<string, number> }> {
  const started = performance.now();
  const snapshot = await fetchSnapshot(opts, from);
  const fetched = performance.now();
  const { start, patches } = startStateOf(snapshot, opts.cluster.self, from);
  const built = performance.now();
  await storeSnapshot(opts, snapshot, start, patches);
  const ms = { fetchMs: Math.round(fetched - started), buildMs: Math.round(built - fetched), storeMs: Math.round(performance.now() - built) };
  return { start, from: from.name, bytes: snapshot.document.length, ms };
}

/** Asks `from` for its snapshot and assembles the stream. */
export async function fetchSnapshot(opts: Pick<SnapshotJoinOptions, 'messenger' | 'subjectPrefix' | 'identity' | 'limits'>, from: PeerMember): Promise<PeerSnapshot> {
  const request = membersCodecs.snapshotRequest.encode({ cluster_id: String(opts.identity.cluster_id), from: String(opts.identity.member_id) });
  const assembler = new SnapshotAssembler(opts.limits.bytesMax);
  for await (const msg of opts.messenger.requestStream(clusterSubjects(opts.subjectPrefix).snapshot(from.name), request, { chunkTimeoutMs: opts.limits.chunkTimeoutMs })) {
    assembler.accept(validated(membersCodecs.snapshotChunk.decode(msg.data), validators.snapshotChunk));
    if (assembler.done) break;
  }
  return assembler.finish();
}

/**
 * The document loaded from the snapshot (its heads and lineage checked), the key index
 * with every visible key as the first revision of this member's band, and
 * the sync states to start from: with the server, its heads; with each
 * other peer, what the server shared with it (the snapshot holds those
 * heads, and so does that peer).
 */
export function startStateOf(snapshot: PeerSnapshot, self: PeerMember, from: PeerMember): { start: SnapshotStart; patches: RevisionPatch[] } {
  const doc = loadKvDocument({ saved: snapshot.document });
  if ([...doc.heads()].sort().join() !== [...snapshot.heads].sort().join()) throw new Error(`the snapshot of ${from.name} does not hold the heads it announced`);
  const lineage = doc.lineage();
  if (lineage.id !== snapshot.lineage.id || lineage.cut !== snapshot.lineage.cut) {
    throw new Error(`the snapshot of ${from.name} is on lineage ${lineage.id} (cut ${lineage.cut}), not on the ${snapshot.lineage.id} (cut ${snapshot.lineage.cut}) it announced`);
  }
  const store = emptyStoreOfBand(self.band);
  const patches = firstRevisionOf(doc, store);
  const leaseOwner: LeaseOwnerSelf = { memberHex: BigInt(self.id).toString(16).padStart(16, '0'), band: self.band };
  const peerSyncStates = new Map<string, Uint8Array>(snapshot.peerSyncStates.filter((s) => s.member !== self.id && s.member !== from.id).map((s) => [s.member, s.state]));
  peerSyncStates.set(from.id, encodedPeerSyncOfHeads(snapshot.heads));
  const origins = originsByMember(doc);
  return { start: { store, doc, leases: checkedLeases(doc, store, leaseOwner), peerSyncStates, origins }, patches };
}

/**
 * Every visible key of the document as a PUT of one revision in the empty
 * `store` (none for a document without keys): what a peer apply would make
 * of every key (peer-apply.ts), read with `get` only, as nothing is in the
 * store to compare with and no conflict is recorded again (the members that
 * saw both sides did). A peer's lease is taken as is (§8.6).
 */
function firstRevisionOf(doc: KvDocument, store: MvccStore): RevisionPatch[] {
  const success: RequestOp[] = doc.keys().map((key) => {
    const { value, lease } = doc.get(key)!;
    return { request_put: { key: Buffer.from(key, 'latin1'), value: Buffer.from(value), lease } satisfies PutRequest };
  });
  if (success.length === 0) return [];
  const write = store.write({ txn: { compare: [], success, failure: [] } }, { leaseExists: () => true });
  return [{ revision: write.revision, events: write.events }];
}

/** Attempts of the first append, each waiting twice as long as the one before (a snapshot's append is large). */
const storeAttempts = 4;

/**
 * The first append: no change of its own; the snapshot as the stored
 * document (a rebase, §5b: one transaction, so a crash leaves all of it or
 * nothing); the key index's first revision as its log row; the sync states.
 */
async function storeSnapshot(opts: SnapshotJoinOptions, snapshot: PeerSnapshot, start: SnapshotStart, patches: RevisionPatch[]): Promise<void> {
  const revision = start.store.revision;
  const logged = patches.length > 0;
  const request = codecs.appendRequest.encode({
    actor: Buffer.alloc(0),
    seq: 0,
    change: Buffer.alloc(0),
    first_revision: logged ? revision : 0,
    last_revision: revision,
    patch_batch: logged ? codecs.patchBatch.encode({ patches, identity: opts.identity, compact_revision: start.store.compactRevision }) : Buffer.alloc(0),
    compacted: false,
    compact_revision: 0,
    rebase: { document: snapshot.document, heads: snapshot.heads, key_count: start.doc.size(), lineage: lineageIdOnWire(snapshot.lineage) },
    fencing_epoch: opts.append.fencingEpoch,
    peer_changes: [],
    peer_sync_states: [...start.peerSyncStates].map(([member, state]) => ({ member, state })),
  });
  const tooLarge = appendTooLarge(request.length, opts.append.bytesMax, revision);
  if (tooLarge) throw new Error(tooLarge);
  await retry(
    async (n) => {
      const msg = await opts.messenger.request(opts.append.subject, request, { timeoutMs: opts.append.timeoutMs * 2 ** (n - 1) });
      const reply = validated(codecs.appendReply.decode(msg.data), validators.appendReply);
      if (reply.fenced) opts.onFenced(reply.error?.message ?? 'append refused as fenced');
      if (reply.error || Number(reply.durable_revision) < revision) throw new Error(`the snapshot's append was refused: ${reply.error?.message ?? `durable revision ${reply.durable_revision}`}`);
    },
    { attemptsMax: storeAttempts, delayInitialMs: 100, delayMaxMs: 1_000, onRetry: (err, attempt) => opts.log.warn("snapshot join: the snapshot's append failed, retrying", { attempt, err }) },
  );
}

/** Per member (id, decimal), the highest origin revision among the document's changes: what a member holding it tells each origin by PeerStored. */
export function originsByMember(doc: KvDocument): Map<string, number> {
  return new Map([...doc.originsHeld()].map(([hex, revision]) => [BigInt(`0x${hex}`).toString(), Number(revision)]));
}
