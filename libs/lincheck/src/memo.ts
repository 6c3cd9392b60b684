// The memo of Lowe's algorithm: configurations (set of linearized operations,
// model state) already explored. Reaching a known configuration again means
// the search below it already failed, so it is pruned. The set is a bitset
// with a Zobrist hash kept up to date on every flip (O(1) instead of hashing
// all words per lookup); the state is keyed by the model's canonical string.

/** A fixed-size bitset over operation indexes with an incremental hash. */
export class OpBitset {
  readonly words: Uint32Array;
  #hash = 0;
  readonly #zobrist: Uint32Array;

  constructor(size: number, seed = 0x9e3779b9) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.#zobrist = zobristTable(size, seed);
  }

  get hash(): number {
    return this.#hash;
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  set(i: number): void {
    if (this.has(i)) return;
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.#hash = (this.#hash ^ this.#zobrist[i]!) >>> 0;
  }

  clear(i: number): void {
    if (!this.has(i)) return;
    this.words[i >>> 5]! &= ~(1 << (i & 31));
    this.#hash = (this.#hash ^ this.#zobrist[i]!) >>> 0;
  }
}

interface MemoEntry {
  readonly words: Uint32Array;
  readonly stateKey: string;
}

export class ConfigurationMemo {
  readonly #buckets = new Map<number, MemoEntry[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds the configuration; false when it was already there. */
  add(bits: OpBitset, stateKey: string): boolean {
    const key = (bits.hash ^ Math.imul(fnv1a(stateKey), 0x85ebca6b)) >>> 0;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(key, bucket);
    }
    for (const e of bucket) {
      if (e.stateKey === stateKey && sameWords(e.words, bits.words)) return false;
    }
    bucket.push({ words: bits.words.slice(), stateKey });
    this.#size++;
    return true;
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic pseudo-random 32-bit values (xorshift32), one per operation. */
function zobristTable(size: number, seed: number): Uint32Array {
  const table = new Uint32Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
}
