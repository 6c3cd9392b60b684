// MemberAdd without a leader (docs/ARCHITECTURE.md §8.5): the adding
// member reserves the lowest free revision band in its document, asks every
// voter to grant it (each grants in its apply loop, writing the reservation
// into its own document, so the grant is durable and replicates), and only
// when every voter granted writes the new member's record. A refusal or a
// voter not answering in time gives the band back (the reservation is
// written released) and answers `unhealthy cluster`; nothing is added.
import { createHash } from 'node:crypto';
import type { BandReservation, KvDocument, MemberRecord } from '@eckd/automerge-doc';
import { memberIdHexOf } from '@eckd/automerge-doc';
import type { BandReply, MemberChangeReply, MemberChangeRequest, WireError } from '@eckd/change-codec';
import { rpcErrors } from '@eckd/etcd-proto';
import type { Logger } from '@eckd/service-kit';
import type { MemberSet } from './member-set.js';
import { isPeerUrl, revisionBandsMax } from './peer-config.js';
import type { PeerMember } from './peer-link.js';

const refusal = (name: keyof typeof rpcErrors): { error: WireError } => ({ error: { name, message: rpcErrors[name].message } });

/**
 * The reservations of one band that hold it: not released, and no value for
 * the same new member released. A voter's grant and the adder's release
 * of it can be concurrent (both values are kept); the release wins, since
 * a new member's id is minted for one add only.
 */
function live(values: readonly BandReservation[]): BandReservation[] {
  const released = new Set(values.filter((r) => r.released).map((r) => r.member));
  return values.filter((r) => !r.released && !released.has(r.member));
}

/** The bands taken: by a member record (removed ones too: bands are never reused) or by a live reservation. */
function takenBands(members: MemberSet, reservations: readonly { band: number; values: BandReservation[] }[]): Set<number> {
  const taken = new Set(members.all().map((m) => m.band));
  for (const { band, values } of reservations) if (live(values).length > 0) taken.add(band);
  return taken;
}

/**
 * etcd mints a new member's id from its peer URLs, the cluster and the time
 * (membership.NewMember), so a member added again gets a new id: the first
 * 8 bytes of a SHA-1 of them, here too. Never 0 (no member's id).
 */
export function mintMemberId(clusterId: string, peerUrls: readonly string[], nowMs: number): string {
  const digest = createHash('sha1').update([...peerUrls].sort().join('')).update(clusterId).update(String(nowMs)).digest();
  const id = digest.readBigUInt64BE(0);
  return String(id === 0n ? 1n : id);
}

/** The new member's band and record, or the etcd error refusing the add (nothing written). */
export function decideMemberAdd(
  change: MemberChangeRequest,
  members: MemberSet,
  reservations: readonly { band: number; values: BandReservation[] }[],
): { band: number; record: MemberRecord } | { error: WireError } {
  if (members.selfRemoved) return refusal('Stopped');
  // etcd refuses an add without peer URLs as it refuses bad ones (etcdctl asks for them first).
  if (change.peer_urls.length === 0 || !change.peer_urls.every(isPeerUrl)) return refusal('MemberBadURLs');
  const used = new Set(members.all().filter((m) => !m.removed).flatMap((m) => m.peerUrls));
  if (change.peer_urls.some((u) => used.has(u))) return refusal('PeerURLExist');
  const taken = takenBands(members, reservations);
  let band = 0;
  while (taken.has(band)) band++;
  // Revisions must stay below 2^53: 32 bands, and a band is never reused.
  if (band >= revisionBandsMax) return refusal('NotCapable');
  const record: MemberRecord = { name: '', band, clientUrls: [], peerUrls: [...new Set(change.peer_urls)].sort(), learner: change.is_learner === true, removed: false };
  return { band, record };
}

/**
 * A voter's answer to a reservation: granted only if no record and no other
 * new member's live reservation holds the band here, and this add was not
 * given up already (a late request must not take the band again).
 */
export function decideBandGrant(band: number, memberHex: string, members: MemberSet, reservations: readonly { band: number; values: BandReservation[] }[]): BandReply {
  const holder = members.all().find((m) => m.band === band);
  if (holder) return { granted: false, holder: holder.id };
  const values = reservations.find((r) => r.band === band)?.values ?? [];
  if (values.some((r) => r.released && r.member === memberHex)) return { granted: false, holder: '0' };
  const other = live(values).find((r) => r.member !== memberHex);
  if (other) return { granted: false, holder: BigInt(`0x${other.member}`).toString() };
  return { granted: true, holder: '0' };
}

/** Asks one voter for the band; resolves false on a refusal or no answer in time. */
export type AskVoter = (voter: PeerMember, band: number, member: string) => Promise<boolean>;

interface Adding {
  band: number;
  idHex: string;
  record: MemberRecord;
  answer: (reply: MemberChangeReply) => void;
  /** set once every voter answered: whether all granted */
  granted?: boolean;
}

interface GrantAsked {
  band: number;
  memberHex: string;
  /** the adder, as the reservation names it */
  byHex: string;
  respond: (reply: BandReply) => void;
}

export interface MemberAddsOptions {
  selfIdHex: string;
  clusterId: string;
  askVoter: AskVoter;
  wake: () => void;
  log: Logger;
}

/** The adds and the grant requests in flight, stepped by the apply loop. */
export class MemberAdds {
  readonly #opts: MemberAddsOptions;
  /** reservation written this batch: ask the voters once it is appended */
  #reserved: Adding[] = [];
  /** every voter answered: record (or release) at the next batch */
  #decided: Adding[] = [];
  /** record or release written this batch: answer once appended */
  #finished: { adding: Adding; reply: MemberChangeReply }[] = [];
  #grantsAsked: GrantAsked[] = [];
  #grantsWritten: GrantAsked[] = [];

  constructor(opts: MemberAddsOptions) {
    this.#opts = opts;
  }

  /** A voter's request from a peer: answered after the batch that writes the grant, or at once if refused. */
  askedToGrant(from: PeerMember, band: number, member: string, respond: (reply: BandReply) => void): void {
    this.#grantsAsked.push({ band, memberHex: memberIdHexOf(member), byHex: memberIdHexOf(from.id), respond });
    this.#opts.wake();
  }

  hasWork(): boolean {
    return this.#grantsAsked.length > 0 || this.#decided.length > 0;
  }

  /** Inside the apply loop, for a queued ADD: reserves the band in the document, or answers the refusal. */
  begin(doc: KvDocument, members: MemberSet, change: MemberChangeRequest, answer: (reply: MemberChangeReply) => void): void {
    const decided = decideMemberAdd(change, members, doc.bandReservations());
    if ('error' in decided) {
      answer({ error: decided.error });
      return;
    }
    const idHex = memberIdHexOf(mintMemberId(this.#opts.clusterId, decided.record.peerUrls, Date.now()));
    doc.putBandReservation(decided.band, { member: idHex, by: this.#opts.selfIdHex, released: false });
    this.#reserved.push({ band: decided.band, idHex, record: decided.record, answer });
  }

  /** Inside the apply loop: grants or refuses the voters' requests, writes the decided adds' records or releases. */
  apply(doc: KvDocument, members: MemberSet): void {
    for (const asked of this.#grantsAsked.splice(0)) {
      if (members.selfRemoved) {
        asked.respond({ granted: false, holder: '0' });
        continue;
      }
      const reply = decideBandGrant(asked.band, asked.memberHex, members, doc.bandReservations());
      if (!reply.granted) {
        asked.respond(reply);
        continue;
      }
      doc.putBandReservation(asked.band, { member: asked.memberHex, by: asked.byHex, released: false });
      this.#grantsWritten.push(asked);
    }
    for (const adding of this.#decided.splice(0)) {
      if (adding.granted) {
        doc.putMember(adding.idHex, adding.record);
        this.#finished.push({ adding, reply: { id: BigInt(`0x${adding.idHex}`).toString() } });
      } else {
        doc.putBandReservation(adding.band, { member: adding.idHex, by: this.#opts.selfIdHex, released: true });
        this.#finished.push({ adding, reply: refusal('Unhealthy') });
      }
    }
  }

  /**
   * At the end of the batch: what to do once it is appended (later batches
   * may be evaluated meanwhile) — answer what it made durable, and ask the
   * voters for the bands it reserved.
   */
  whenAppended(): (voters: () => PeerMember[]) => void {
    const grantsWritten = this.#grantsWritten.splice(0);
    const finished = this.#finished.splice(0);
    const reserved = this.#reserved.splice(0);
    return (voters) => {
      for (const asked of grantsWritten) asked.respond({ granted: true, holder: '0' });
      for (const { adding, reply } of finished) {
        if (reply.error) this.#opts.log.warn('member add refused by a voter or not answered: band released', { band: adding.band });
        else this.#opts.log.info('member added', { id: reply.id, band: adding.band, learner: adding.record.learner });
        adding.answer(reply);
      }
      for (const adding of reserved) void this.#askVoters(adding, voters());
    };
  }

  async #askVoters(adding: Adding, voters: PeerMember[]): Promise<void> {
    const member = BigInt(`0x${adding.idHex}`).toString();
    const answers = await Promise.all(voters.map((v) => this.#opts.askVoter(v, adding.band, member).catch(() => false)));
    adding.granted = answers.every(Boolean);
    this.#decided.push(adding);
    this.#opts.wake();
  }
}
