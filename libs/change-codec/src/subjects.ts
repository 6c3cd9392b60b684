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
}

/** The subjects of one node (version 1 messages). */
export function nodeSubjects(scope: SubjectScope): NodeSubjects {
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
  });
}
