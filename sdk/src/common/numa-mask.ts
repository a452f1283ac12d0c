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

/** Node ids in the mask, ascending. */
export function maskIds(mask: NUMAMask): number[] {
  const ids: number[] = [];
  for (let id = 0; mask > 0n; id++, mask >>= 1n) if (mask & 1n) ids.push(id);
  return ids;
}

export function maskCount(mask: NUMAMask): number {
  let count = 0;
  for (; mask > 0n; mask &= mask - 1n) count++;
  return count;
}

export function maskHas(mask: NUMAMask, id: number): boolean {
  return ((mask >> BigInt(id)) & 1n) === 1n;
}

/**
 * Calls fn with every non-empty subset of ids, smallest subsets first and, within a
 * size, in lexicographic order of the ids (the order upstream's IterateBitMasks uses).
 */
export function forEachMask(ids: readonly number[], fn: (mask: NUMAMask) => void): void {
  const sorted = [...ids].sort((a, b) => a - b);
  const bits = sorted.map((id) => 1n << BigInt(id));
  const choose = (start: number, left: number, acc: NUMAMask): void => {
    if (left === 0) return fn(acc);
    for (let i = start; i <= bits.length - left; i++) choose(i + 1, left - 1, acc | (bits[i] as bigint));
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
