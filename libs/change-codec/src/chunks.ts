// Cuts a list into pieces whose encoded size stays under a byte budget, so
// no NATS message exceeds the server's max_payload.

/**
 * Splits `items` into consecutive groups of at most `bytesMax` (by the given
 * size estimate) and at most `countMax` items. An item larger than the
 * budget goes alone in its group: the caller decides whether that is an error.
 */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, bytesMax: number, countMax = Infinity): T[][] {
  if (!(bytesMax > 0)) throw new RangeError('change-codec: bytesMax must be positive');
  const groups: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (current.length > 0 && (size + itemSize > bytesMax || current.length >= countMax)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Room left in a NATS message for the payload after headers and framing. */
export const payloadHeadroomBytes = 16 * 1024;
