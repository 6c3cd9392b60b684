// MemberRemove, MemberUpdate and MemberPromote (docs/ARCHITECTURE.md §8.5):
// a change waits here for the apply loop (MemberAdd too, handed to
// member-add.ts there), which writes the member's new
// record into the document at the next batch (so it replicates like any
// write) and answers once that batch is appended; a refused change is
// answered at once and writes nothing.
import type { MemberRecord } from '@eckd/automerge-doc';
import type { MemberChangeReply, MemberChangeRequest, WireError } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import type { BatchEffects, NodeState } from '../write-application.js';
import type { MemberAdds } from './member-add.js';
import type { KnownMember, MemberSet } from './member-set.js';
import { isPeerUrl } from './peer-config.js';
import { revokeLeasesOf } from './removed-leases.js';

/** What a change needs to know besides the member table. */
export interface MemberChangeContext {
  members: MemberSet;
  /** The member's storage watermark of this member's revisions (PeerStored), 0 if none heard. */
  storedBy(id: string): number;
  /** The origin revision of this member's last change: a learner whose watermark is below it is not in sync. */
  revision: number;
  /** MemberAdd's band reservations */
  adds: MemberAdds;
}

/** The record to write for `change`, or the etcd error that refuses it. */
export function decideMemberChange(
  change: MemberChangeRequest,
  stored: MemberRecord | undefined,
  ctx: MemberChangeContext,
): { record: MemberRecord; idHex: string } | { error: WireError } {
  const refuse = (name: keyof typeof rpcErrors) => ({ error: { name, message: rpcErrors[name].message } });
  if (ctx.members.selfRemoved) return refuse('Stopped');
  const id = String(change.id);
  const member = ctx.members.known(id);
  // etcd answers a removed member's id as not found too (its ErrIDRemoved maps to ErrGRPCMemberNotFound).
  if (!member || member.removed) return refuse('MemberNotFound');
  const current: MemberRecord = stored ?? { name: member.name, band: member.band, clientUrls: [], peerUrls: member.peerUrls, learner: member.learner, removed: false };
  switch (change.kind) {
    case 'REMOVE': {
      const votersLeft = ctx.members.all().filter((m) => !m.removed && !m.learner && m.id !== id);
      // etcd keeps at least one voter; eckd has no quorum to protect beyond that (any member takes writes).
      if (votersLeft.length === 0) return refuse('MemberNotEnoughStarted');
      return { idHex: member.idHex, record: { ...current, removed: true } };
    }
    case 'UPDATE': {
      if (!change.peer_urls.every(isPeerUrl)) return refuse('MemberBadURLs');
      const taken = new Set(otherMembers(ctx.members, id).flatMap((m) => m.peerUrls));
      if (change.peer_urls.some((u) => taken.has(u))) return refuse('PeerURLExist');
      return { idHex: member.idHex, record: { ...current, peerUrls: [...new Set(change.peer_urls)].sort() } };
    }
    case 'PROMOTE': {
      if (!member.learner) return refuse('MemberNotLearner');
      if (ctx.storedBy(id) < ctx.revision) return refuse('LearnerNotReady');
      return { idHex: member.idHex, record: { ...current, learner: false } };
    }
    case 'ADD':
      // Never here: an add reserves a band first (member-add.ts).
      return refuse('NotCapable');
  }
}

function otherMembers(members: MemberSet, id: string): KnownMember[] {
  return members.all().filter((m) => m.id !== id && !m.removed);
}

interface Waiting {
  change: MemberChangeRequest;
  answer: (reply: MemberChangeReply) => void;
}

/** The changes waiting for the apply loop, then for their batch's append. */
export class MemberChanges {
  #queued: Waiting[] = [];
  #written: Waiting[] = [];

  constructor(
    private readonly wake: () => void,
    private readonly log: Logger,
  ) {}

  /** Resolves when the change is appended (no error; an add's reply carries the new id) or refused (the error). */
  request(change: MemberChangeRequest): Promise<MemberChangeReply> {
    return new Promise((resolve) => {
      this.#queued.push({ change, answer: resolve });
      this.wake();
    });
  }

  hasWork(): boolean {
    return this.#queued.length > 0;
  }

  /**
   * Inside the apply loop: writes each accepted change into the document
   * (a removal also revokes the removed member's leases), answers each
   * refused one.
   */
  apply(state: NodeState, effects: BatchEffects, ctx: MemberChangeContext): void {
    const { doc } = state;
    for (const waiting of this.#queued.splice(0)) {
      if (waiting.change.kind === 'ADD') {
        ctx.adds.begin(doc, ctx.members, waiting.change, waiting.answer);
        continue;
      }
      const stored = doc.members().find((m) => m.id === ctx.members.known(String(waiting.change.id))?.idHex)?.record;
      const decided = decideMemberChange(waiting.change, stored, ctx);
      if ('error' in decided) {
        waiting.answer({ error: decided.error });
        continue;
      }
      doc.putMember(decided.idHex, decided.record);
      if (waiting.change.kind === 'REMOVE') {
        const revoked = revokeLeasesOf(state, effects, { idHex: decided.idHex, band: decided.record.band }, ctx.members.isSelf(String(waiting.change.id)));
        this.log.info('member removed', { member: decided.record.name, leasesRevoked: revoked });
      }
      ctx.members.refresh(doc.members());
      this.#written.push(waiting);
    }
  }

  /** At the end of the batch that wrote them: answers them once that batch is appended (later batches may be evaluated meanwhile). */
  whenAppended(): () => void {
    const written = this.#written.splice(0);
    return () => {
      for (const waiting of written) waiting.answer({});
    };
  }
}
