// Three members writing random concurrent transactions and exchanging them
// by pushes and lossy sync rounds, for the property specs
// (convergence.spec.ts, cut-translation.spec.ts); not exported from the library.
import { HybridClock, compareTags, createKvDocument, createPeerSync, resetPeerSync } from './index.js';
import type { KvDocument, PeerApplyResult, PeerSync, TxnTag } from './index.js';
import { changeHeaderOf } from './change-header.js';
import { bytes } from './test-helpers.js';

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Txn {
  tag: TxnTag;
  /** the hash of the change that holds it */
  change: string;
  writes: { key: string; value: string | undefined }[];
}

export interface Member {
  doc: KvDocument;
  clock: HybridClock;
  /** Every change this member has committed. */
  own: Uint8Array[];
  /** sync state towards each other member, by index */
  syncs: Map<number, PeerSync>;
}

const keySpace = ['a', 'b', 'c', 'd', 'e', 'f'];

export class Cluster {
  readonly members: Member[];
  readonly txns: Txn[] = [];
  readonly rand: () => number;
  #wallMs = 1_000;
  #revision = 0n;

  constructor(readonly seed: number) {
    this.rand = prng(seed);
    // Skewed clocks: member 3 runs behind, so its tags often lose to older writes of the others.
    const skews = [0, 3, -5];
    this.members = [1, 2, 3].map((id, i) => ({
      doc: createKvDocument({ actorId: `${id}`.repeat(32) }),
      clock: new HybridClock(BigInt(id), () => this.#wallMs + skews[i]!),
      own: [],
      syncs: new Map(),
    }));
    for (const [i, m] of this.members.entries()) for (const j of [0, 1, 2]) if (j !== i) m.syncs.set(j, createPeerSync());
  }

  /** One random step: a transaction, a push of recent changes (possibly with gaps), or a lossy sync round. */
  step(label: string): void {
    const rand = this.rand;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    if (rand() < 0.5) this.#wallMs += Math.floor(rand() * 3);
    const action = rand();
    if (action < 0.55) {
      const m = pick(this.members);
      const tag = m.clock.next();
      const keys = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(keySpace)))];
      const writes = keys.map((key) => ({ key, value: rand() < 0.3 ? undefined : `${this.seed}:${label}:${key}` }));
      this.#revision++;
      for (const { key, value } of writes) {
        if (value === undefined) m.doc.deleteTagged(key, tag, this.#revision);
        else m.doc.putTagged(key, bytes(value), '0', tag, this.#revision);
      }
      const change = m.doc.commit({ member: tag.member, revision: this.#revision });
      if (!change) return;
      m.own.push(change.bytes);
      this.txns.push({ tag, writes, change: changeHeaderOf(change.bytes).hash });
    } else if (action < 0.8) {
      const from = Math.floor(rand() * 3);
      const to = (from + 1 + Math.floor(rand() * 2)) % 3;
      const recent = this.members[from]!.own.slice(-4).filter(() => rand() < 0.7);
      recent.sort(() => rand() - 0.5);
      observeApplied(this.members[to]!, this.members[to]!.doc.applyPeerChanges(recent));
    } else {
      const i = Math.floor(rand() * 3);
      this.syncPair(i, (i + 1 + Math.floor(rand() * 2)) % 3, true);
    }
  }

  syncPair(i: number, j: number, lossy: boolean): void {
    const [a, b] = [this.members[i]!, this.members[j]!];
    const [toB, toA] = [a.syncs.get(j)!, b.syncs.get(i)!];
    for (let round = 0; round < 30; round++) {
      const m1 = a.doc.generateSyncMessage(toB);
      if (m1 && !(lossy && this.rand() < 0.2)) observeApplied(b, b.doc.receiveSyncMessage(toA, m1));
      const m2 = b.doc.generateSyncMessage(toA);
      if (m2 && !(lossy && this.rand() < 0.2)) observeApplied(a, a.doc.receiveSyncMessage(toB, m2));
      if (!m1 && !m2) return;
    }
  }

  /** Resets every sync state (rounds may have been cut by lost messages), then syncs every pair until quiet. */
  heal(): void {
    for (const m of this.members) for (const s of m.syncs.values()) resetPeerSync(s);
    for (let pass = 0; pass < 2; pass++) for (const [i, j] of [[0, 1], [1, 2], [0, 2]] as const) this.syncPair(i, j, false);
  }
}

function observeApplied(member: Member, result: PeerApplyResult): void {
  for (const key of result.touchedKeys) for (const v of member.doc.visibleValues(key)) member.clock.observe(v.tag);
}

/** The visible state of applying `txns` in tag order, as snapshot() lists entries. */
export function visibleModel(txns: Txn[]): string[] {
  const state = new Map<string, string>();
  for (const txn of [...txns].sort((x, y) => compareTags(x.tag, y.tag))) {
    for (const { key, value } of txn.writes) {
      if (value === undefined) state.delete(key);
      else state.set(key, value);
    }
  }
  return [...state.keys()].sort().map((k) => `${JSON.stringify(k)}=${Buffer.from(bytes(state.get(k)!)).toString('hex')}/0`);
}
