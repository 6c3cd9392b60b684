// The ProposeRequest a frontend sends, encoded by hand around the client's
// own request bytes (request-bytes.ts): a write proposal is its id, the
// RequestOp holding the bytes as they came, and the auth revision. Only
// proposals without such bytes (leases, compaction, auth, Lock/Election
// writes) go through protobufjs' object conversion. The bytes on the wire
// decode to what `codecs.proposeRequest.encode` of the same proposals gives
// (propose-encoding.spec.ts).
import { wireCodec } from '@eckd/change-codec';
import type { Proposal } from '@eckd/change-codec';
import { encodeEmbedded, encodeIntField } from '@eckd/etcd-proto';
import { requestBytes } from './request-bytes.js';

/** ProposeRequest's and Proposal's field numbers (proto/eckd/wire/v1/wire.proto). */
const proposeRequestFields = { frontendId: 1, proposals: 2, deadlineMs: 3 } as const;
const proposalFields = { id: 1, request: 2, authRevision: 10 } as const;
/** etcdserverpb.RequestOp's field of each write. */
const requestOpFields = { request_put: 2, request_delete_range: 3, request_txn: 4 } as const;

const proposalCodec = wireCodec<Proposal>('Proposal');

export function encodeProposeRequest(frontendId: string, deadlineMs: number, proposals: readonly Proposal[]): Buffer {
  const parts = [encodeEmbedded(proposeRequestFields.frontendId, Buffer.from(frontendId))];
  for (const p of proposals) parts.push(encodeEmbedded(proposeRequestFields.proposals, encodeProposal(p)));
  parts.push(encodeIntField(proposeRequestFields.deadlineMs, deadlineMs));
  return Buffer.concat(parts);
}

function encodeProposal(p: Proposal): Uint8Array {
  const op = p.op === 'request' ? p.request : undefined;
  const kind = op?.request;
  const inner = kind === 'request_put' || kind === 'request_delete_range' || kind === 'request_txn' ? op?.[kind] : undefined;
  const bytes = inner ? requestBytes(inner) : undefined;
  if (kind === undefined || bytes === undefined || !(kind in requestOpFields)) return proposalCodec.encode(p);
  return Buffer.concat([
    encodeIntField(proposalFields.id, int(p.id)),
    encodeEmbedded(proposalFields.request, encodeEmbedded(requestOpFields[kind as keyof typeof requestOpFields], bytes)),
    encodeIntField(proposalFields.authRevision, int(p.auth_revision ?? 0)),
  ]);
}

/** An id or auth revision: a number, or a decimal string when it came from the wire. */
function int(value: Proposal['id']): number | bigint {
  return typeof value === 'number' ? value : BigInt(value);
}
