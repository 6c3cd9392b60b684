// Cuts a stream of items into pieces whose encoded size stays under a byte
// budget, so no NATS message exceeds the server's max_payload.

/**
 * The fill of the chunk being built: says when the next item must start a
 * new chunk (at most `bytesMax` by the caller's size estimate and at most
 * `countMax` items). An item larger than the budget goes alone in its chunk:
 * the caller decides whether that is an error. For streams (items read
 * page by page); `chunkBySize` is the same for a list.
 */
export class ChunkBudget {
  #bytes = 0;
  #count = 0;

  constructor(
    readonly bytesMax: number,
    readonly countMax = Infinity,
  ) {
    if (!(bytesMax > 0)) throw new RangeError('change-codec: bytesMax must be positive');
  }

  /** True when the current chunk holds something and `itemBytes` more would overflow it. */
  isFullFor(itemBytes: number): boolean {
    return this.#count > 0 && (this.#bytes + itemBytes > this.bytesMax || this.#count >= this.countMax);
  }

  add(itemBytes: number): void {
    this.#bytes += itemBytes;
    this.#count++;
  }

  /** The current chunk was sent: the next one starts empty. */
  reset(): void {
    this.#bytes = 0;
    this.#count = 0;
  }
}

/** Splits `items` into consecutive groups within the budget (see ChunkBudget). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, bytesMax: number, countMax = Infinity): T[][] {
  const budget = new ChunkBudget(bytesMax, countMax);
  const groups: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (budget.isFullFor(itemSize)) {
      groups.push(current);
      current = [];
      budget.reset();
    }
    current.push(item);
    budget.add(itemSize);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Room left in a NATS message for the payload after headers and framing. */
export const payloadHeadroomBytes = 16 * 1024;
