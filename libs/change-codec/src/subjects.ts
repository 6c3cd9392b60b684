// Every NATS subject of a node, built in one place. A subject is
// `<prefix>.<node>.<service>.<verb>.v<version>`; apps never write subjects
// as string literals.

/** Prefix and node names become subject tokens: keep them to safe characters. */
const tokenPattern = /^[A-Za-z0-9_-]+$/;

export interface SubjectScope {
  prefix: string;
  node: string;
}

export class SubjectError extends Error {
  override name = 'SubjectError';
}

export function validateSubjectToken(what: string, token: string): string {
  if (!tokenPattern.test(token)) {
    throw new SubjectError(`change-codec: ${what} "${token}" must match ${tokenPattern}`);
  }
  return token;
}

export interface NodeSubjects {
  propose: string;
  readIndex: string;
  sync: string;
  patch: string;
  /** publish: a backend that claimed a fencing epoch, before it serves (BackendTakeover) */
  takeover: string;
  append: string;
  load: string;
  /** request/reply: run a compaction now (CompactorRunRequest → CompactorRunReply) */
  compactorRun: string;
  /** request/reply: etcd Maintenance state of the node (MaintenanceRequest → MaintenanceReply) */
  maintenance: string;
  /** request/reply: storage sizes, stored maintenance state, defragmentation (StorageRequest → StorageReply) */
  storage: string;
  /** request / chunked reply: a consistent backup of the node's storage (BackupRequest → BackupChunk...) */
  backup: string;
  /** request/reply: the conflicts the backend recorded (ConflictsRequest → ConflictsReply) */
  conflicts: string;
  /** publish (etcd-api, every frontend of the node): its replica's applied revision (FrontendApplied) */
  frontendApplied: string;
  /** publish (backend → frontends): the other members' storage watermarks (PeerStoredRevisions) */
  peerStored: string;
  /** publish: a frontend's client URLs, at start and every few seconds (FrontendAnnouncement) */
  frontends: string;
  /** request/reply: etcd's member list as the backend knows it (MembersRequest → MembersReply) */
  members: string;
  /** publish (backend → frontends): the node's auth state after each change (AuthState) */
  auth: string;
  /** request/reply: the node's auth state (AuthStateRequest → AuthState) */
  authState: string;
  /** publish (every etcd-api → the node's other etcd-api): the simple tokens it accepted lately (TokenUses) */
  tokenUses: string;
  /** request/reply: MemberAdd, MemberRemove, MemberUpdate, MemberPromote, made by the backend (MemberChangeRequest → MemberChangeReply) */
  memberChange: string;
}

/** The token of the cluster-wide subjects: no node may take it as its name. */
const peersToken = 'peers';

/** The subjects of one node (version 1 messages). */
export function nodeSubjects(scope: SubjectScope): NodeSubjects {
  if (scope.node === peersToken) throw new SubjectError(`change-codec: node "${peersToken}" is reserved for the cluster's peer subjects`);
  const base = `${validateSubjectToken('prefix', scope.prefix)}.${validateSubjectToken('node', scope.node)}`;
  return Object.freeze({
    propose: `${base}.backend.propose.v1`,
    readIndex: `${base}.backend.read-index.v1`,
    sync: `${base}.backend.sync.v1`,
    patch: `${base}.patch.v1`,
    takeover: `${base}.backend.takeover.v1`,
    append: `${base}.persister.append.v1`,
    load: `${base}.persister.load.v1`,
    compactorRun: `${base}.compactor.run.v1`,
    maintenance: `${base}.backend.maintenance.v1`,
    storage: `${base}.persister.storage.v1`,
    backup: `${base}.persister.backup.v1`,
    conflicts: `${base}.backend.conflicts.v1`,
    frontendApplied: `${base}.frontend-applied.v1`,
    peerStored: `${base}.peer-stored.v1`,
    frontends: `${base}.backend.frontends.v1`,
    members: `${base}.backend.members.v1`,
    auth: `${base}.auth.v1`,
    authState: `${base}.backend.auth.v1`,
    tokenUses: `${base}.auth.token-uses.v1`,
    memberChange: `${base}.backend.member-change.v1`,
  });
}

/** The subjects backends of one cluster replicate on (docs/ARCHITECTURE.md §8.3). */
export interface ClusterSubjects {
  /** every backend publishes its committed changes here (PeerChanges) */
  changes: string;
  /** every backend's subjects, for permissions */
  all: string;
  /** a member's sync messages (PeerSync) */
  sync(member: string): string;
  /** a member's storage acknowledgements (PeerStored) */
  stored(member: string): string;
  /** request/reply: a band reservation asked of a voter for MemberAdd (BandReserve → BandReply) */
  members(member: string): string;
  /** request/reply: a new node asks its ECKD_JOIN member for its record and the member table (MemberJoin → MemberJoinReply) */
  join(member: string): string;
  /** request / chunked reply: a member with an empty database asks a peer for its saved document (SnapshotRequest → SnapshotChunk...) */
  snapshot(member: string): string;
  /** request/reply: a step of the agreement on a history cut, or its status (CutRequest → CutReply; §8.10, not wired) */
  cut(member: string): string;
  /** request / chunked reply: a lineage's base for a member that lacks its cut point (CutBaseRequest → CutBaseChunk…) */
  cutBase(member: string): string;
  /** publish: the addressee was heard on an older lineage (CutNotice) */
  cutNotice(member: string): string;
}

export function clusterSubjects(prefix: string): ClusterSubjects {
  const base = `${validateSubjectToken('prefix', prefix)}.${peersToken}`;
  const ofMember = (member: string) => {
    if (member === peersToken) throw new SubjectError(`change-codec: member "${peersToken}" is reserved`);
    return `${base}.${validateSubjectToken('member', member)}`;
  };
  return Object.freeze({
    changes: `${base}.changes.v1`,
    all: `${base}.>`,
    sync: (member: string) => `${ofMember(member)}.sync.v1`,
    stored: (member: string) => `${ofMember(member)}.stored.v1`,
    members: (member: string) => `${ofMember(member)}.members.v1`,
    join: (member: string) => `${ofMember(member)}.join.v1`,
    snapshot: (member: string) => `${ofMember(member)}.snapshot.v1`,
    cut: (member: string) => `${ofMember(member)}.cut.v1`,
    cutBase: (member: string) => `${ofMember(member)}.cut-base.v1`,
    cutNotice: (member: string) => `${ofMember(member)}.cut-notice.v1`,
  });
}

