/**
 * Bytes of a protobuf varint: an int64/uint64 as its 64-bit two's
 * complement (so a negative number takes 10). Non-negative safe integers
 * skip BigInt: this runs per field on the hot response path.
 */
export function varintBytes(value: bigint | number): number {
  if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
    if (value < 0x80) return 1;
    if (value < 0x4000) return 2;
    if (value < 0x200000) return 3;
    if (value < 0x10000000) return 4;
    let n = 4;
    for (let v = Math.floor(value / 0x10000000); v > 0; v = Math.floor(v / 0x80)) n++;
    return n;
  }
  let v = BigInt.asUintN(64, BigInt(value));
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}
