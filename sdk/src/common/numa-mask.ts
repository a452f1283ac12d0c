/**
 * Sets of NUMA node ids as bigint bit masks (bit i = node i), so machines with more
 * than 32 or 64 NUMA nodes need no special case.
 */
export type NUMAMask = bigint;

export function maskOf(ids: Iterable<number>): NUMAMask {
  let mask = 0n;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`invalid NUMA node id ${id}`);
    mask |= 1n << BigInt(id);
  }
  return mask;
}

/**
 * Bits per word when a mask is read as plain numbers: hint providers call maskIds and
 * maskCount for every candidate mask, and one bigint operation per 32 nodes (rather than
 * per node) keeps that cheap in a plugin host that runs without V8's optimizing compiler.
 */
const WORD_BITS = 32;
const WORD_BITS_BIG = BigInt(WORD_BITS);

/** Node ids in the mask, ascending. */
export function maskIds(mask: NUMAMask): number[] {
  const ids: number[] = [];
  for (let base = 0; mask > 0n; base += WORD_BITS, mask >>= WORD_BITS_BIG) {
    // Signed 32-bit from here on: `word & -word` is the lowest set bit, even bit 31.
    let word = Number(BigInt.asUintN(WORD_BITS, mask)) | 0;
    while (word !== 0) {
      const lowest = word & -word;
      ids.push(base + 31 - Math.clz32(lowest));
      word ^= lowest;
    }
  }
  return ids;
}

export function maskCount(mask: NUMAMask): number {
  let count = 0;
  for (; mask > 0n; mask >>= WORD_BITS_BIG) {
    for (let word = Number(BigInt.asUintN(WORD_BITS, mask)) | 0; word !== 0; word &= word - 1) count++;
  }
  return count;
}

export function maskHas(mask: NUMAMask, id: number): boolean {
  return ((mask >> BigInt(id)) & 1n) === 1n;
}

/**
 * Calls fn with every non-empty subset of ids, smallest subsets first and, within a
 * size, in lexicographic order of the ids (the order upstream's IterateBitMasks uses).
 * fn also gets the subset's ids, ascending, so it need not read them from the mask:
 * the array is reused for the next subset (copy it to keep it).
 */
export function forEachMask(ids: readonly number[], fn: (mask: NUMAMask, ids: readonly number[]) => void): void {
  const sorted = [...ids].sort((a, b) => a - b);
  const bits = sorted.map((id) => 1n << BigInt(id));
  const chosen: number[] = [];
  const choose = (start: number, left: number, acc: NUMAMask): void => {
    if (left === 0) return fn(acc, chosen);
    for (let i = start; i <= bits.length - left; i++) {
      chosen.push(sorted[i] as number);
      choose(i + 1, left - 1, acc | (bits[i] as bigint));
      chosen.pop();
    }
  };
  for (let size = 1; size <= bits.length; size++) choose(0, size, 0n);
}

/**
 * The kubelet's notion of a narrower affinity: fewer NUMA nodes, or as many nodes and
 * a smaller value as a binary number (so {1,2} is narrower than {0,3}: the comparison
 * is on the highest differing node, not on "more low nodes"). Hint providers use it to
 * pick the minimal mask among their candidates; the topology manager ranks merged
 * hints the same way.
 */
export function maskIsNarrowerThan(a: NUMAMask, b: NUMAMask): boolean {
  const ca = maskCount(a);
  const cb = maskCount(b);
  return ca === cb ? a < b : ca < cb;
}
