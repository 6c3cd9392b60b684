// Maintenance.Status from the frontend's replica and the backend's
// NodeStatus. etcd's raft fields have these analogues here: the leader is
// this node's member (one writer per node, the backend); raftIndex is the
// backend's published revision (what is committed) and raftAppliedIndex
// this frontend's replica revision (what is applied here); raftTerm is the
// header's term. Without an answer from the backend the node reports what
// etcd reports without a leader: leader 0 and "etcdserver: no leader".
import type { AlarmMemberMessage, NodeStatus } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import type { StatusResponse } from '@eckd/etcd-proto';
import { responseHeader } from '../header.js';
import type { Replica } from '../replica.js';

/** etcd's AlarmMember.String(): Go's compact text format, zero fields left out, trailing space. */
export function alarmString(a: AlarmMemberMessage): string {
  const alarm = a.alarm === 'NONE' || a.alarm === 0 ? '' : `alarm:${String(a.alarm)} `;
  const member = String(a.memberID) === '0' ? '' : `memberID:${String(a.memberID)} `;
  return `${member}${alarm}`;
}

export function statusResponse(replica: Replica, node: NodeStatus | undefined, etcdVersion: string): StatusResponse {
  const identity = replica.identity;
  const errors = node ? [] : [rpcErrors.NoLeader.message];
  for (const a of node?.alarms ?? []) errors.push(alarmString(a));
  return {
    header: responseHeader(replica, replica.revision),
    version: etcdVersion,
    dbSize: node?.db_size ?? 0,
    leader: node ? (identity?.member_id ?? 0) : 0,
    raftIndex: node?.revision ?? replica.revision,
    raftTerm: identity?.raft_term ?? 0,
    raftAppliedIndex: replica.revision,
    errors,
    dbSizeInUse: node?.db_size_in_use ?? 0,
    isLearner: false,
    storageVersion: etcdVersion,
    dbSizeQuota: node?.quota_bytes ?? 0,
    downgradeInfo: node?.downgrade ?? { enabled: false, targetVersion: '' },
  };
}
