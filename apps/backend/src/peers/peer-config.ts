// The backend's cluster settings (docs/ARCHITECTURE.md §8.1, §8.5): the
// members of the cluster from ECKD_INITIAL_CLUSTER, this member's revision
// band (its position in that list), or, for a node joining a running
// cluster (ECKD_INITIAL_CLUSTER_STATE=existing), the member it joins through
// and its peer URL; and the replication timings. Neither: a single node,
// exactly as without peers.
import { validateSubjectToken } from '@eckd/change-codec';
import { MvccStore } from '@eckd/mvcc';
import { ConfigError, envInt, envString } from '@eckd/service-kit';
import { conflictLogIntervalDefaultMs } from './conflicts.js';
import { cutAgreementDefaults } from './cut-proposer.js';
import type { CutAgreementLimits } from './cut-proposer.js';

/** A member with band b numbers its revisions b·2^48 + 1, + 2, … */
export const revisionBandSize = 2 ** 48;
/**
 * Bands 0..31: revisions are JS numbers in the backend and the frontends,
 * exact only below 2^53, and 32·2^48 = 2^53.
 */
export const revisionBandsMax = 32;

/** How this member learns the cluster: from its settings, or from the member table of a running cluster. */
export type ClusterStart =
  /** Every member's name, in band order; this member's band is its position in `members`. */
  | { state: 'new'; members: readonly string[]; band: number }
  /** `join`: the member asked for the table (ECKD_JOIN); `peerUrl`: the URL MemberAdd was given (ECKD_PEER_URL), which finds this node's record. */
  | { state: 'existing'; join: string; peerUrl: string };

export interface PeerConfig {
  start: ClusterStart;
  /** How often a sync round with every peer starts. */
  syncIntervalMs: number;
  /** A round that hears nothing back for this long is abandoned and the peer's sync state reset. */
  syncTimeoutMs: number;
  /** A peer's changed sync state is stored (with a batch) at most this often. */
  syncStoreIntervalMs: number;
  /** How many conflict records the backend keeps (newest). */
  conflictsKept: number;
  /** At most one info line about conflicts per this many ms (ECKD_CONFLICT_LOG_INTERVAL_MS; 0: one per conflict); each is at debug. */
  conflictLogIntervalMs: number;
  /** Most peer messages waiting for the apply loop; more are dropped (a sync round brings their changes again). */
  inboxMax: number;
  /** The members' storage watermarks go to this node's frontends at most this often (external factor). */
  storedPublishIntervalMs: number;
  /** How long MemberAdd waits for every voter's band grant (half of ECKD_REQUEST_TIMEOUT_MS). */
  bandReserveTimeoutMs: number;
  /** The snapshot join (§8.5): limits of serving and of taking a peer's saved document. */
  snapshot: SnapshotLimits;
  /** Lease operations forwarded to the lease's owner member (§8.6). */
  leaseForward: LeaseForwardLimits;
  /** The agreement on a history cut (§8.10, Limits). */
  cut: CutAgreementLimits;
  /**
   * ECKD_CUT_WITH_PEERS (default true): this member proposes a coordinated
   * cut when its document is due by §5b's rule. Every member follows a
   * decision it hears whatever this says.
   */
  cutWithPeers: boolean;
  /**
   * ECKD_CUT_OPS: the ops a member's document keeps before it proposes a
   * cut (with ECKD_REBASE_OPS_PER_KEY × live keys and leases, whichever is
   * more). Lower than a single node's ECKD_REBASE_OPS: while a member builds
   * the base, a worker holds a second copy of the document at the cut point.
   */
  cutOps: number;
  /** How long a member keeps the old lineage after its switch for a peer not heard on the new one (ECKD_CUT_LAGGARD_HOLD_MS). */
  cutLaggardHoldMs: number;
  /** How long a laggard that learned the next cut's decision waits to hold its cut point before it takes the current lineage by snapshot (ECKD_CUT_CATCH_UP_MS). */
  cutCatchUpMs: number;
}

export interface LeaseForwardLimits {
  /** Forwards in flight at once (ECKD_LEASE_FORWARDS_MAX); beyond: etcd's "too many requests". */
  forwardsMax: number;
  /** How long a forward waits for the owner when its request carries no deadline (ECKD_REQUEST_TIMEOUT_MS). */
  timeoutMs: number;
}

export interface SnapshotLimits {
  /** The largest saved document a member serves or takes; larger: refused, and the joiner falls back to sync rounds. */
  bytesMax: number;
  /** How long the joiner waits for each chunk (the first one comes after the server's save). */
  chunkTimeoutMs: number;
  /** Attempts of a joining node at its ECKD_JOIN member before it falls back to sync rounds (a late member asks each peer once). */
  attempts: number;
  /** Snapshots one member serves at the same time; more are refused with etcd's "too many requests" and asked again. */
  servesMax: number;
}

/** The cluster settings, or undefined for a single node (ECKD_INITIAL_CLUSTER unset or naming this node only, and not joining). */
export function readPeerConfig(env: Record<string, string | undefined>, nodeName: string): Readonly<PeerConfig> | undefined {
  const start = readClusterStart(env, nodeName);
  if (!start) return undefined;
  return Object.freeze({
    start: Object.freeze(start),
    syncIntervalMs: envInt(env, 'ECKD_PEER_SYNC_INTERVAL_MS', 200, { min: 10 }),
    syncTimeoutMs: envInt(env, 'ECKD_PEER_SYNC_TIMEOUT_MS', 1_000, { min: 50 }),
    syncStoreIntervalMs: envInt(env, 'ECKD_PEER_SYNC_STORE_INTERVAL_MS', 1_000, { min: 0 }),
    conflictsKept: envInt(env, 'ECKD_CONFLICTS_KEPT', 1_000, { min: 1 }),
    conflictLogIntervalMs: envInt(env, 'ECKD_CONFLICT_LOG_INTERVAL_MS', conflictLogIntervalDefaultMs, { min: 0, max: 3_600_000 }),
    inboxMax: envInt(env, 'ECKD_PEER_INBOX_MAX', 4_096, { min: 1 }),
    storedPublishIntervalMs: envInt(env, 'ECKD_PEER_STORED_INTERVAL_MS', 20, { min: 1 }),
    // The frontend's deadline for a membership change; the voters of a MemberAdd get half of it, so the refusal reaches the client in time.
    bandReserveTimeoutMs: Math.floor(envInt(env, 'ECKD_REQUEST_TIMEOUT_MS', 7_000, { min: 100 }) / 2),
    snapshot: Object.freeze({
      bytesMax: envInt(env, 'ECKD_SNAPSHOT_BYTES_MAX', 32 * 1024 * 1024, { min: 1024 }),
      chunkTimeoutMs: envInt(env, 'ECKD_SNAPSHOT_CHUNK_TIMEOUT_MS', 10_000, { min: 100 }),
      attempts: envInt(env, 'ECKD_SNAPSHOT_ATTEMPTS', 5, { min: 0 }),
      servesMax: envInt(env, 'ECKD_SNAPSHOT_SERVES_MAX', 1, { min: 1 }),
    }),
    leaseForward: Object.freeze({
      forwardsMax: envInt(env, 'ECKD_LEASE_FORWARDS_MAX', 1_000, { min: 1 }),
      timeoutMs: envInt(env, 'ECKD_REQUEST_TIMEOUT_MS', 7_000, { min: 100 }),
    }),
    cut: Object.freeze({
      roundTimeoutMs: envInt(env, 'ECKD_CUT_ROUND_TIMEOUT_MS', cutAgreementDefaults.roundTimeoutMs, { min: 100, max: cutTimingMaxMs }),
      // 0 would have racing proposers collide again at once, each round a wasted exchange.
      retryMs: envInt(env, 'ECKD_CUT_RETRY_MS', cutAgreementDefaults.retryMs, { min: 10, max: cutTimingMaxMs }),
      roundsMax: envInt(env, 'ECKD_CUT_ROUNDS_MAX', cutAgreementDefaults.roundsMax, { min: 1, max: 1_000 }),
    }),
    cutWithPeers: envBoolean(env, 'ECKD_CUT_WITH_PEERS', true),
    // Below a thousand ops a cut's rounds and build would cost more than the history they free.
    cutOps: envInt(env, 'ECKD_CUT_OPS', cutOpsDefault, { min: 1_000 }),
    // 0 would let the old lineage go at once: a peer switching a moment later would lose its changes made meanwhile.
    cutLaggardHoldMs: envInt(env, 'ECKD_CUT_LAGGARD_HOLD_MS', cutLaggardHoldDefaultMs, { min: 1_000, max: 24 * 3_600_000 }),
    // A few sync timeouts: the rounds that bring the cut point have had their chance by then.
    cutCatchUpMs: envInt(env, 'ECKD_CUT_CATCH_UP_MS', cutCatchUpDefaultMs, { min: 100, max: cutTimingMaxMs }),
  });
}

/**
 * §8.10, Due: 50,000 ops, half of a single node's ECKD_REBASE_OPS, so the
 * document and the build's copy of it at the cut point fit where a single
 * node's one document does (docs/BENCHMARKS.md, "The coordinated cut's memory").
 */
export const cutOpsDefault = 50_000;

/** §8.10, 5: the old lineage is kept this long (10 minutes) after a switch for a peer not heard on the new one. */
export const cutLaggardHoldDefaultMs = 600_000;

/** §8.10, 6: a laggard waits this long (10 s) for the cut point of a decision it learned before it rejoins by snapshot. */
export const cutCatchUpDefaultMs = 10_000;

/** `true` or `false` (anything else is refused as a mistake, with the setting's name). */
function envBoolean(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const text = envString(env, name, String(fallback));
  if (text !== 'true' && text !== 'false') throw new ConfigError(`${name}=${text}: true or false`);
  return text === 'true';
}

/** Longer waits than this (10 minutes) would only hold a due batch's proposal up: a setting beyond is refused as a mistake. */
const cutTimingMaxMs = 600_000;

/** etcd's rule for member URLs (types.NewURLs): scheme http, https, unix or unixs; host:port; no path. */
const peerUrlPattern = /^(https?|unixs?):\/\/[^/?#\s]+:\d+$/;

export function isPeerUrl(text: string): boolean {
  return peerUrlPattern.test(text);
}

function readClusterStart(env: Record<string, string | undefined>, nodeName: string): ClusterStart | undefined {
  const state = envString(env, 'ECKD_INITIAL_CLUSTER_STATE', 'new');
  const join = envString(env, 'ECKD_JOIN', '');
  const peerUrl = envString(env, 'ECKD_PEER_URL', '');
  if (state === 'existing') {
    if (join === '' || peerUrl === '') throw new ConfigError('ECKD_INITIAL_CLUSTER_STATE=existing needs ECKD_JOIN (a running member\'s name) and ECKD_PEER_URL (the peer URL given to MemberAdd)');
    try {
      validateSubjectToken('ECKD_JOIN', join);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    if (join === 'peers' || join === nodeName) throw new ConfigError(`ECKD_JOIN=${join}: a running member of the cluster, not this node`);
    if (!isPeerUrl(peerUrl)) throw new ConfigError(`ECKD_PEER_URL=${peerUrl}: not a member URL (http(s) or unix(s)://host:port)`);
    return { state, join, peerUrl };
  }
  if (state !== 'new') throw new ConfigError(`ECKD_INITIAL_CLUSTER_STATE=${state}: new or existing`);
  if (join !== '' || peerUrl !== '') throw new ConfigError('ECKD_JOIN and ECKD_PEER_URL are for ECKD_INITIAL_CLUSTER_STATE=existing only');
  const list = envString(env, 'ECKD_INITIAL_CLUSTER', '');
  if (list === '') return undefined;
  const members = list.split(',').map((name) => name.trim());
  for (const name of members) {
    try {
      validateSubjectToken('member name', name);
    } catch (err) {
      throw new ConfigError(`ECKD_INITIAL_CLUSTER: ${(err as Error).message}`);
    }
  }
  if (members.includes('peers')) throw new ConfigError('ECKD_INITIAL_CLUSTER: no member may be named "peers" (the token of the cluster subjects)');
  if (new Set(members).size !== members.length) throw new ConfigError(`ECKD_INITIAL_CLUSTER names a member twice: ${list}`);
  if (members.length > revisionBandsMax) {
    throw new ConfigError(`ECKD_INITIAL_CLUSTER names ${members.length} members; at most ${revisionBandsMax} (revision bands must stay below 2^53)`);
  }
  const band = members.indexOf(nodeName);
  if (band === -1) throw new ConfigError(`ECKD_INITIAL_CLUSTER (${list}) does not name this node (ECKD_NODE_NAME=${nodeName})`);
  if (members.length === 1) return undefined;
  return { state: 'new', members: Object.freeze(members), band };
}

/** The revision an empty store of this band starts at (and is compacted at): 1 for band 0, as a single node. */
export function bandFirstRevision(band: number): number {
  return band * revisionBandSize + 1;
}

/** The empty key index of a member with this band: band > 0 starts compacted at its first revision, so older revisions answer `compacted`. */
export function emptyStoreOfBand(band: number): MvccStore {
  if (band === 0) return new MvccStore();
  const first = bandFirstRevision(band);
  return new MvccStore({ revision: first, compactRevision: first });
}
