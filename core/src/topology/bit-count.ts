/** Set bits in a 32-bit unsigned value. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Set bits in a non-negative bigint mask, 32 bits at a time: the topology manager
 * counts every hint's nodes, and the bit-by-bit loop of maskCount is the slow part
 * when a provider sends thousands of hints.
 */
export function bitCount(mask: bigint): number {
  if (mask <= 0xffffffffn) return mask < 0n ? Number.NaN : popcount32(Number(mask));
  let count = 0;
  while (mask > 0n) {
    count += popcount32(Number(mask & 0xffffffffn));
    mask >>= 32n;
  }
  return count;
}
