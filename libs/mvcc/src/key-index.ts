// A B+tree over Latin-1 key strings with linked leaves (O(log n) seek, O(k)
// scan) whose nodes also count their "live" entries. The store keeps deleted
// keys in the index until compaction, so the live counts let Range answer
// `count` at the current revision in O(log n) instead of walking the range:
// kube-apiserver asks for the count of a prefix with every list page.

/** Max entries of a leaf and children of a branch. */
const nodeEntriesMax = 64;
/** A leaf below this many entries is merged into its right sibling when both fit. */
const leafEntriesMergeBelow = 16;

class Leaf<V> {
  keys: string[] = [];
  vals: V[] = [];
  live = 0;
  next: Leaf<V> | undefined = undefined;
  prev: Leaf<V> | undefined = undefined;
}

class Branch<V> {
  /** keys[i] <= every key under children[i] and > every key under children[i-1]. */
  keys: string[] = [];
  children: Array<Leaf<V> | Branch<V>> = [];
  live = 0;
}

type TreeNode<V> = Leaf<V> | Branch<V>;

interface Path<V> {
  leaf: Leaf<V>;
  branches: Branch<V>[];
  slots: number[];
}

/** First index i with keys[i] >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child of a branch whose subtree may hold key. */
function childSlot(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : lo - 1;
}

export class KeyIndex<V> {
  #root: TreeNode<V> = new Leaf<V>();
  #size = 0;
  readonly #isLive: (v: V) => boolean;

  /** isLive tells whether an entry counts as live; call liveChanged when that changes in place. */
  constructor(isLive: (v: V) => boolean) {
    this.#isLive = isLive;
  }

  get size(): number {
    return this.#size;
  }

  get liveSize(): number {
    return this.#root.live;
  }

  get(key: string): V | undefined {
    const leaf = this.#leafFor(key);
    const i = lowerBound(leaf.keys, key);
    return leaf.keys[i] === key ? leaf.vals[i] : undefined;
  }

  /** Inserts a key that is not in the index yet. */
  insert(key: string, val: V): void {
    const path = this.#path(key);
    const { leaf, branches, slots } = path;
    const pos = lowerBound(leaf.keys, key);
    if (leaf.keys[pos] === key) throw new Error(`mvcc: key index already holds ${JSON.stringify(key)}`);
    leaf.keys.splice(pos, 0, key);
    leaf.vals.splice(pos, 0, val);
    this.#size++;
    if (this.#isLive(val)) this.#addLive(path, 1);
    for (let l = 0; l < branches.length; l++) {
      if (key < branches[l]!.keys[slots[l]!]!) branches[l]!.keys[slots[l]!] = key;
    }
    this.#splitUp(path);
  }

  /** Removes a key; returns whether it was there. */
  delete(key: string): boolean {
    const path = this.#path(key);
    const leaf = path.leaf;
    const pos = lowerBound(leaf.keys, key);
    if (leaf.keys[pos] !== key) return false;
    const val = leaf.vals[pos]!;
    leaf.keys.splice(pos, 1);
    leaf.vals.splice(pos, 1);
    this.#size--;
    if (this.#isLive(val)) this.#addLive(path, -1);
    if (leaf.keys.length === 0) this.#removeEmpty(path);
    else if (leaf.keys.length < leafEntriesMergeBelow) this.#mergeRight(path);
    return true;
  }

  /** Records that the entry of key turned live (+1) or not live (-1) in place. */
  liveChanged(key: string, delta: 1 | -1): void {
    this.#addLive(this.#path(key), delta);
  }

  /** Number of live entries with start <= key < end (end undefined = +infinity). */
  countLive(start: string, end: string | undefined): number {
    const upTo = end === undefined ? this.#root.live : this.#liveBelow(end);
    return upTo - this.#liveBelow(start);
  }

  /** Calls fn for each entry with start <= key < end in key order until fn returns false. */
  scan(start: string, end: string | undefined, fn: (key: string, val: V) => boolean | void): void {
    let leaf: Leaf<V> | undefined = this.#leafFor(start);
    let i = lowerBound(leaf.keys, start);
    while (leaf !== undefined) {
      const { keys, vals } = leaf;
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        if (end !== undefined && key >= end) return;
        if (fn(key, vals[i]!) === false) return;
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  #leafFor(key: string): Leaf<V> {
    let node = this.#root;
    while (node instanceof Branch) node = node.children[childSlot(node.keys, key)]!;
    return node;
  }

  #path(key: string): Path<V> {
    const branches: Branch<V>[] = [];
    const slots: number[] = [];
    let node = this.#root;
    while (node instanceof Branch) {
      const slot = childSlot(node.keys, key);
      branches.push(node);
      slots.push(slot);
      node = node.children[slot]!;
    }
    return { leaf: node, branches, slots };
  }

  #addLive(path: Path<V>, delta: number): void {
    path.leaf.live += delta;
    for (const b of path.branches) b.live += delta;
  }

  /** Live entries with a key below `key`. */
  #liveBelow(key: string): number {
    let rank = 0;
    let node = this.#root;
    while (node instanceof Branch) {
      const slot = childSlot(node.keys, key);
      for (let j = 0; j < slot; j++) rank += node.children[j]!.live;
      node = node.children[slot]!;
    }
    const stop = lowerBound(node.keys, key);
    for (let j = 0; j < stop; j++) if (this.#isLive(node.vals[j]!)) rank++;
    return rank;
  }

  #splitUp(path: Path<V>): void {
    let child: TreeNode<V> = path.leaf;
    for (let level = path.branches.length - 1; ; level--) {
      const size = child instanceof Leaf ? child.keys.length : child.children.length;
      if (size <= nodeEntriesMax) return;
      const right = child instanceof Leaf ? this.#splitLeaf(child) : this.#splitBranch(child);
      if (level < 0) {
        const root = new Branch<V>();
        root.keys = [child.keys[0]!, right.keys[0]!];
        root.children = [child, right];
        root.live = child.live + right.live;
        this.#root = root;
        return;
      }
      const parent = path.branches[level]!;
      const slot = path.slots[level]!;
      parent.children.splice(slot + 1, 0, right);
      parent.keys.splice(slot + 1, 0, right.keys[0]!);
      child = parent;
    }
  }

  #splitLeaf(leaf: Leaf<V>): Leaf<V> {
    const right = new Leaf<V>();
    const half = leaf.keys.length >>> 1;
    right.keys = leaf.keys.splice(half);
    right.vals = leaf.vals.splice(half);
    for (const v of right.vals) if (this.#isLive(v)) right.live++;
    leaf.live -= right.live;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next) leaf.next.prev = right;
    leaf.next = right;
    return right;
  }

  #splitBranch(branch: Branch<V>): Branch<V> {
    const right = new Branch<V>();
    const half = branch.children.length >>> 1;
    right.keys = branch.keys.splice(half);
    right.children = branch.children.splice(half);
    for (const c of right.children) right.live += c.live;
    branch.live -= right.live;
    return right;
  }

  #unlink(leaf: Leaf<V>): void {
    if (leaf.prev) leaf.prev.next = leaf.next;
    if (leaf.next) leaf.next.prev = leaf.prev;
  }

  /** Drops an emptied leaf and every branch that becomes empty with it. */
  #removeEmpty(path: Path<V>): void {
    if (path.branches.length === 0) return; // the root leaf may be empty
    this.#unlink(path.leaf);
    for (let level = path.branches.length - 1; level >= 0; level--) {
      const parent = path.branches[level]!;
      parent.children.splice(path.slots[level]!, 1);
      parent.keys.splice(path.slots[level]!, 1);
      if (parent.children.length > 0) break;
      if (level === 0) parent.live = 0; // the root stays as an empty branch until collapsed
    }
    this.#collapseRoot();
  }

  /** Merges a small leaf into its right sibling under the same parent when both fit in one leaf. */
  #mergeRight(path: Path<V>): void {
    const level = path.branches.length - 1;
    if (level < 0) return;
    const parent = path.branches[level]!;
    const slot = path.slots[level]!;
    const right = parent.children[slot + 1];
    if (!(right instanceof Leaf)) return;
    const leaf = path.leaf;
    if (leaf.keys.length + right.keys.length > nodeEntriesMax) return;
    leaf.keys.push(...right.keys);
    leaf.vals.push(...right.vals);
    leaf.live += right.live;
    this.#unlink(right);
    parent.children.splice(slot + 1, 1);
    parent.keys.splice(slot + 1, 1);
    this.#collapseRoot();
  }

  #collapseRoot(): void {
    while (this.#root instanceof Branch && this.#root.children.length <= 1) {
      this.#root = this.#root.children[0] ?? new Leaf<V>();
    }
  }
}
