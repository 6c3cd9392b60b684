// The version 1 messages of the coordinated history cut between members'
// backends (proto/eckd/wire/v1/cut.proto, docs/ARCHITECTURE.md §8.10), and
// one codec each. CutNotice is wired; CutRequest/CutReply are served and asked
// by the backend's peers/cut-link.ts (not started yet). uint64 ids travel as decimal
// strings; lineage ids and heads as Automerge hashes in hex.
import type { WireError } from './messages.js';
import { wireCodec } from './wire.js';

export interface CutBallot {
  round: string;
  member: string;
}

export interface CutProposal {
  lineage: string;
  cut: string;
  heads: string[];
  floor_excluded: string[];
  proposer: string;
}

/** What a voter accepted: a ballot and its proposal. */
export interface CutAccepted {
  ballot: CutBallot | null;
  proposal: CutProposal | null;
}

/** A voter's persisted state for one cut of one lineage (cut-state.proto). */
export interface CutAcceptorState {
  lineage: string;
  cut: string;
  promised: CutBallot | null;
  accepted?: CutAccepted | null;
}

/** What a member stores when it switches to a cut's lineage (cut-state.proto): the decision and the sequences inside H. */
export interface CutRecord {
  proposal: CutProposal | null;
  seqs_in_cut: { actor: string; seq: string }[];
}

/** Paxos ballots compare by round, then member (u64 decimals): < 0, 0 or > 0 as `a` is below, equal to or above `b`. */
export function compareCutBallots(a: CutBallot, b: CutBallot): number {
  const [ar, br, am, bm] = [BigInt(a.round), BigInt(b.round), BigInt(a.member), BigInt(b.member)];
  return ar !== br ? (ar < br ? -1 : 1) : am === bm ? 0 : am < bm ? -1 : 1;
}

export type CutOp = 'prepare' | 'accept' | 'decided' | 'status';

/** peers.<member>.cut.v1: one step of the agreement on a cut, or a question for its decision. */
export interface CutRequest {
  cluster_id: string;
  from: string;
  lineage: string;
  cut: string;
  op?: CutOp;
  prepare?: { ballot: CutBallot | null } | null;
  accept?: { ballot: CutBallot | null; proposal: CutProposal | null } | null;
  decided?: { proposal: CutProposal | null } | null;
  status?: Record<string, never> | null;
}

export interface CutReply {
  error?: WireError | null;
  promised?: CutBallot | null;
  accepted?: { ballot: CutBallot | null; proposal: CutProposal | null } | null;
  ok: boolean;
  decided?: CutProposal | null;
  lineage: string;
  cut: string;
}

/** peers.<member>.cut-base.v1: the base of a lineage, for a member that lacks its cut point. */
export interface CutBaseRequest {
  cluster_id: string;
  from: string;
  lineage: string;
}

export interface CutBaseChunk {
  index: number;
  done: boolean;
  base: Uint8Array;
  seqs_in_cut: { actor: string; seq: string }[];
  proposal?: CutProposal | null;
  error?: WireError | null;
}

/** peers.<member>.cut-notice.v1: the sender is on a newer lineage than the one it heard the addressee on. */
export interface CutNotice {
  cluster_id: string;
  from: string;
  lineage: string;
  cut: string;
}

export const cutCodecs = Object.freeze({
  cutRequest: wireCodec<CutRequest>('CutRequest'),
  cutReply: wireCodec<CutReply>('CutReply'),
  cutBaseRequest: wireCodec<CutBaseRequest>('CutBaseRequest'),
  cutBaseChunk: wireCodec<CutBaseChunk>('CutBaseChunk'),
  cutNotice: wireCodec<CutNotice>('CutNotice'),
  cutAcceptorState: wireCodec<CutAcceptorState>('CutAcceptorState'),
  cutRecord: wireCodec<CutRecord>('CutRecord'),
});
