// The ids etcd puts in every response header. They are derived from names,
// so they are stable across restarts without being stored: member_id from
// the node name, cluster_id from the cluster name.
import { createHash, randomBytes } from 'node:crypto';
import type { NodeIdentity } from '@eckd/change-codec';

/**
 * raft_term has no raft behind it here: one backend is the node's only
 * writer. A fresh single-member etcd reports term 2; eckd does the same.
 */
const raftTerm = 2;

export function nodeIdentity(clusterName: string, nodeName: string): NodeIdentity {
  return {
    cluster_id: id64(`eckd-cluster:${clusterName}`),
    member_id: id64(`eckd-member:${clusterName}:${nodeName}`),
    raft_term: raftTerm,
    // New at every backend start: frontends resync when it changes, since a
    // restarted backend's state is what was stored (in async mode it may lack
    // revisions the frontends saw).
    epoch: randomBytes(8).toString('hex'),
  };
}

/** A non-zero uint64 (decimal string) from the first 8 bytes of a SHA-256. */
function id64(seed: string): string {
  const value = createHash('sha256').update(seed).digest().readBigUInt64BE(0);
  return (value === 0n ? 1n : value).toString();
}
