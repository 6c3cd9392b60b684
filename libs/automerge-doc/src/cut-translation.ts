// Carrying the changes made after a cut point H onto the cut's base
// (docs/ARCHITECTURE.md §8.10). Every old-lineage change outside H becomes
// exactly one new-lineage change, and the translation is a function of the
// base and of the writing member's earlier changes only: any member
// translating a given change gets the same bytes, so a change translated by
// its writer and by every member that already held it is one change (same
// hash) in the new lineage, never two values of one write and never a
// duplicate sequence.
//
// A member's changes form one causal chain, across its actors (a restarted
// backend's first change depends on the last one it stored), so the
// translation of member M's k-th change outside H is a change by the actor
// cutActorOf(lineage, M) with sequence k, depending on the base (k = 1) or on
// the translation of M's (k-1)-th, carrying the old change's message (its
// origin, §8.3) and time 0. (A change without an origin, a single node's,
// chains by its actor instead.) Its ops replay the old change's writes: a
// tagged value whose tag is below the tag of the base's value for that key
// is left out (it lost to a value at H, and written on the base it would
// overwrite that value instead of meeting it); every other write is made
// again as it was. Translations of different members are concurrent, so
// values written after H meet by the tag rule (§8.2) exactly as in the old
// lineage, and a key's visible value is the same there and here.
import { createHash } from 'node:crypto';
import { decodeChange, getBackend, init } from '@automerge/automerge';
import { AutomergeDocError } from './automerge-doc-error.js';
import { baseActorId, kvMapId, leasesMapId } from './base-change.js';
import { decodeChangeOrigin } from './change-origin.js';
import { decodeTaggedStoredValue } from './stored-value.js';
import { compareTags, untaggedTag } from './txn-tag.js';
import type { TxnTag } from './txn-tag.js';

type Handle = ReturnType<typeof getBackend>;

/** The new-lineage actor of a chain (a member, or an old actor without origins): distinct per lineage, so no old sequence is ever met again. */
export function cutActorOf(lineage: string, chain: string): string {
  const actor = createHash('sha256').update(`eckd cut actor\n${lineage}\n${chain}`).digest('hex').slice(0, 32);
  return actor === baseActorId ? actor.replace(/^0/, '1') : actor;
}

interface Chain {
  /** the base plus this chain's translations so far: where its next translation is made */
  scratch: Handle;
  /** per old actor of the chain, the sequence of its last change translated */
  lastOldSeqs: Map<string, number>;
}

export interface TranslatedChange {
  /** the old change's hash */
  from: string;
  hash: string;
  bytes: Uint8Array;
}

export class CutTranslator {
  readonly lineage: string;
  readonly #base: Uint8Array;
  /** the tag of each of the base's values (a map, not a second loaded copy of the base: a fraction of its memory) */
  readonly #baseTags = new Map<string, TxnTag>();
  readonly #chains = new Map<string, Chain>();
  readonly #translated = new Map<string, TranslatedChange>();
  /** old actor → the highest of its sequences inside H (absent: none of its changes is in H) */
  readonly #seqsInCut: ReadonlyMap<string, number>;

  /**
   * `seqsInCut`: for every old actor with changes inside H, its highest
   * sequence there; a change is outside H exactly when its sequence is above
   * it, and translations must start right after it.
   */
  constructor(base: Uint8Array, lineage: string, seqsInCut: ReadonlyMap<string, number>) {
    this.#base = base;
    this.lineage = lineage;
    this.#seqsInCut = seqsInCut;
    const baseDoc = loadBase(base, undefined);
    try {
      const heads = baseDoc.getHeads();
      if (heads.length !== 1 || heads[0] !== lineage) throw new AutomergeDocError(`cut base ${heads.join(',')} is not lineage ${lineage}`);
      for (const key of baseDoc.keys(kvMapId)) this.#baseTags.set(key, decodeTaggedStoredValue(baseDoc.get(kvMapId, key)).tag);
    } finally {
      baseDoc.free();
    }
  }

  /** Whether an old change is inside H (so the base holds its effect) rather than to be translated. */
  insideCut(actor: string, seq: number): boolean {
    return seq <= (this.#seqsInCut.get(actor) ?? 0);
  }

  /**
   * The translation of an old change outside H. Changes must come with
   * their ancestors first, as Automerge lists them (so each member's in its
   * causal order); a change given again gets the same translation.
   */
  translate(oldChange: Uint8Array): TranslatedChange {
    const decoded = decodeChange(oldChange);
    const known = this.#translated.get(decoded.hash!);
    if (known) return known;
    if (this.insideCut(decoded.actor, decoded.seq)) throw new AutomergeDocError(`change ${decoded.actor}/${decoded.seq} is inside the cut`);
    const chain = this.#chainOf(chainKeyOf(decoded.actor, decoded.message));
    const previous = chain.lastOldSeqs.get(decoded.actor) ?? this.#seqsInCut.get(decoded.actor) ?? 0;
    if (decoded.seq !== previous + 1) {
      throw new AutomergeDocError(`translation of ${decoded.actor} out of order: sequence ${decoded.seq} after ${previous}`);
    }
    for (const op of decoded.ops) this.#replay(chain.scratch, op);
    const message = decoded.message ?? undefined;
    const hash = chain.scratch.pendingOps() > 0 ? chain.scratch.commit(message, 0) : chain.scratch.emptyChange(message, 0);
    const bytes = chain.scratch.getLastLocalChange();
    if (hash === null || bytes === null) throw new AutomergeDocError('translation made no change');
    chain.lastOldSeqs.set(decoded.actor, decoded.seq);
    const translated = { from: decoded.hash!, hash, bytes };
    this.#translated.set(decoded.hash!, translated);
    return translated;
  }

  free(): void {
    for (const chain of this.#chains.values()) chain.scratch.free();
    this.#chains.clear();
  }

  #chainOf(key: string): Chain {
    let chain = this.#chains.get(key);
    if (!chain) {
      chain = { scratch: loadBase(this.#base, cutActorOf(this.lineage, key)), lastOldSeqs: new Map() };
      this.#chains.set(key, chain);
    }
    return chain;
  }

  #replay(scratch: Handle, op: DecodedOp): void {
    if (op.obj === kvMapId) {
      if (op.action === 'del') return scratch.delete(kvMapId, op.key);
      const stored = storedBytes(op);
      if (compareTags(decodeTaggedStoredValue(stored).tag, this.#baseTag(op.key)) < 0) return;
      return scratch.put(kvMapId, op.key, stored);
    }
    if (op.obj !== leasesMapId && op.obj !== '_root') throw new AutomergeDocError(`cannot translate an op on object ${op.obj}`);
    if (op.action === 'del') return scratch.delete(op.obj, op.key);
    if (op.action !== 'set') throw new AutomergeDocError(`cannot translate a ${op.action} op`);
    if (op.datatype === 'int' && typeof op.value === 'number') return scratch.put(op.obj, op.key, op.value, 'int');
    if (op.datatype === undefined && (typeof op.value === 'string' || typeof op.value === 'boolean')) return scratch.put(op.obj, op.key, op.value);
    throw new AutomergeDocError(`cannot translate a ${op.datatype ?? typeof op.value} value at ${op.key}`);
  }

  /** The tag of the base's value of `key` (untagged when it has none: below every write). */
  #baseTag(key: string): TxnTag {
    return this.#baseTags.get(key) ?? untaggedTag;
  }
}

/** A change's chain: its origin member (16 hex digits), or for a change without an origin its actor. */
function chainKeyOf(actor: string, message: string | null): string {
  let origin;
  try {
    origin = decodeChangeOrigin(message);
  } catch {
    origin = undefined;
  }
  return origin === undefined ? `actor ${actor}` : `member ${origin.member.toString(16).padStart(16, '0')}`;
}

type DecodedOp = ReturnType<typeof decodeChange>['ops'][number];

/** Automerge decodes a bytes value as an array of numbers. */
function storedBytes(op: DecodedOp): Uint8Array {
  if (op.action !== 'set') throw new AutomergeDocError(`cannot translate a ${op.action} op on the kv map`);
  const value: unknown = op.value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new AutomergeDocError(`kv value at ${op.key} is not bytes`);
}

function loadBase(base: Uint8Array, actor: string | undefined): Handle {
  const handle = getBackend(init(actor === undefined ? {} : { actor }));
  try {
    handle.applyChanges([base]);
  } catch (err) {
    handle.free();
    throw new AutomergeDocError(`cannot load a cut base: ${(err as Error).message}`, { cause: err });
  }
  return handle;
}

