// `etcdctl member list` as the cluster specs read it: its simple format,
// one member per line, ids in hex.
import assert from 'node:assert/strict';
import { etcdctl } from '@eckd/testing';

export interface ListedMember {
  id: string;
  /** `started` or `unstarted` */
  status: string;
  name: string;
  peerUrls: string;
  /** `true` or `false` */
  learner: string;
}

/** The members `etcdctl member list` prints against `endpoint`, in its order. */
export async function etcdctlMemberList(endpoint: string): Promise<ListedMember[]> {
  const r = await etcdctl(endpoint, ['member', 'list']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id, status, name, peerUrls, , learner] = line.split(', ');
      return { id: id!, status: status!, name: name!, peerUrls: peerUrls!, learner: learner! };
    });
}
