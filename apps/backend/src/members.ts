// etcd's member list as the backend knows it (docs/ARCHITECTURE.md §8.5):
// the node's live frontends announce their client URLs, and the member
// table in the document (§8.1) carries every member's record, so peers
// learn each other's client URLs by replication.
import type { MemberRecord } from '@eckd/automerge-doc';
import { membersCodecs, unknownWireError, validators } from '@eckd/change-codec';
import type { FrontendAnnouncement, MembersReply, NodeSubjects } from '@eckd/change-codec';
import type { Member__Output } from '@eckd/etcd-proto';
import { decodeChecked, envInt } from '@eckd/service-kit';
import type { Logger, Message, Messenger } from '@eckd/service-kit';

export interface MembersConfig {
  /** a frontend not heard for this long no longer counts (its client URLs leave the member list) */
  frontendExpiryMs: number;
  /** frontends the backend keeps at once; announcements of more are ignored */
  frontendsMax: number;
}

export function readMembersConfig(env: Record<string, string | undefined>): Readonly<MembersConfig> {
  return Object.freeze({
    // Three of the frontends' 10 s announcements.
    frontendExpiryMs: envInt(env, 'ECKD_FRONTEND_EXPIRY_MS', 30_000, { min: 100 }),
    frontendsMax: envInt(env, 'ECKD_FRONTENDS_MAX', 1024, { min: 1 }),
  });
}

/** The frontends of this node heard within the expiry, and the union of their client URLs. */
export class LiveFrontends {
  readonly #heard = new Map<string, { clientUrls: string[]; at: number }>();
  /** The client URLs last reported as changed, comma-joined. */
  #reported = '';

  constructor(
    private readonly config: MembersConfig,
    private readonly log: Logger,
  ) {}

  /** Records an announcement; true when the node's client URLs changed since last reported. */
  heard(announcement: FrontendAnnouncement, now: number): boolean {
    if (!this.#heard.has(announcement.frontend_id) && this.#heard.size >= this.config.frontendsMax) {
      this.log.warn('frontend announcement ignored: too many frontends (ECKD_FRONTENDS_MAX)', { frontendId: announcement.frontend_id, frontendsMax: this.config.frontendsMax });
      return false;
    }
    this.#heard.set(announcement.frontend_id, { clientUrls: announcement.client_urls, at: now });
    return this.#changed(now);
  }

  /** Forgets frontends not heard within the expiry; true when the node's client URLs changed since last reported. */
  expire(now: number): boolean {
    for (const [id, f] of this.#heard) if (now - f.at > this.config.frontendExpiryMs) this.#heard.delete(id);
    return this.#changed(now);
  }

  #changed(now: number): boolean {
    const urls = this.clientUrls(now).join(',');
    if (urls === this.#reported) return false;
    this.#reported = urls;
    return true;
  }

  /** Sorted, without repeats: what etcd lists as the member's clientURLs. */
  clientUrls(now: number): string[] {
    const urls = new Set<string>();
    for (const f of this.#heard.values()) if (now - f.at <= this.config.frontendExpiryMs) for (const url of f.clientUrls) urls.add(url);
    return [...urls].sort();
  }
}

export interface MembersDeps {
  messenger: Messenger;
  subjects: Pick<NodeSubjects, 'frontends' | 'members'>;
  self: { id: string; name: string };
  /** With peers: every initial member (name and id), listed before its record has replicated here. */
  initialMembers: { id: string; name: string }[];
  /** The member table of the document: id (16 hex digits) and stored record. */
  memberTable: () => { id: string; record: MemberRecord }[];
  /** Called when this member's client URLs changed (with peers: written into its record by the apply loop). */
  onClientUrls: (urls: string[]) => void;
  config: MembersConfig;
  log: Logger;
}

/** Subscribes the frontends' announcements and answers MembersRequest; returns the stop function. */
export function startMembers(deps: MembersDeps): () => void {
  const { log } = deps;
  const frontends = new LiveFrontends(deps.config, log);
  const announcements = deps.messenger.subscribe(deps.subjects.frontends, (msg) => {
    try {
      const announcement = decodeChecked(msg, membersCodecs.frontendAnnouncement, validators.frontendAnnouncement, log);
      if (frontends.heard(announcement, Date.now())) deps.onClientUrls(frontends.clientUrls(Date.now()));
    } catch {
      // decodeChecked logged and counted it.
    }
  });
  const requests = deps.messenger.subscribe(deps.subjects.members, (msg: Message) => {
    let reply: MembersReply;
    try {
      decodeChecked(msg, membersCodecs.membersRequest, () => undefined, log);
      reply = { members: memberList(deps, frontends.clientUrls(Date.now())) };
    } catch (err) {
      log.warn('member list failed', { err });
      reply = { members: [], error: unknownWireError(err) };
    }
    msg.respond(membersCodecs.membersReply.encode(reply));
  });
  // Checked a few times per expiry, so a gone frontend's URLs leave within the expiry and a third.
  const timer = setInterval(() => {
    if (frontends.expire(Date.now())) deps.onClientUrls(frontends.clientUrls(Date.now()));
  }, deps.config.frontendExpiryMs / 3);
  timer.unref();
  return () => {
    clearInterval(timer);
    announcements.unsubscribe();
    requests.unsubscribe();
  };
}

/**
 * etcd's MemberList: this member with its live frontends' client URLs, and
 * with peers every member that is not removed, from the member table (an
 * initial member whose record has not replicated yet is listed with its name
 * and no URLs, as etcd lists a member that has not started). eckd has no raft
 * peer URLs: members replicate over NATS, so peerURLs are only what
 * MemberUpdate stored (empty until then).
 */
export function memberList(deps: Pick<MembersDeps, 'self' | 'initialMembers' | 'memberTable'>, ownClientUrls: string[]): Member__Output[] {
  const byId = new Map<string, Member__Output>();
  const info = (id: string, name: string, clientUrls: string[], learner = false, peerUrls: string[] = []): Member__Output => ({
    ID: id,
    name,
    peerURLs: peerUrls,
    clientURLs: clientUrls,
    isLearner: learner,
  });
  for (const m of deps.initialMembers) byId.set(m.id, info(m.id, m.name, []));
  for (const { id: idHex, record } of deps.memberTable()) {
    const id = BigInt(`0x${idHex}`).toString();
    if (record.removed) byId.delete(id);
    else byId.set(id, info(id, record.name, record.clientUrls, record.learner, record.peerUrls));
  }
  const own = byId.get(deps.self.id);
  byId.set(deps.self.id, info(deps.self.id, deps.self.name, ownClientUrls, own?.isLearner, own?.peerURLs));
  return [...byId.values()];
}
