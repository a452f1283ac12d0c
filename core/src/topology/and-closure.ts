import type { NUMAMask, TopologyHint } from '@kernelet/sdk/common';
import type { NUMAInfo } from './numa-info.js';
import type { HintLists } from './provider-hints.js';

/**
 * Every non-empty mask that picking one hint from each list and ANDing them (an
 * any-node hint counting as every node) can produce: the affinities of all merged
 * hints, without enumerating the cross product.
 *
 * Sparse: the set of reachable masks, list by list (at most min(2^N, product of
 * list sizes) masks, usually a handful). Dense, for machines of up to MAX_DENSE_NODES
 * nodes once the sparse step would cost more: membership over all 2^N masks, where
 * one list is folded in with a superset-sum (zeta) transform of both sides, a
 * pointwise product (s & m contains x exactly when s and m both do) and the Möbius
 * inversion back, O(N 2^N) per list whatever the list sizes.
 */
export type AchievableMasks =
  | { kind: 'sparse'; masks: ReadonlySet<NUMAMask> }
  /** present[x] = 1 when the mask with bit p for node positions[p] is reachable. */
  | { kind: 'dense'; present: Uint8Array; positions: readonly number[] };

export type ClosureStrategy = 'auto' | 'sparse' | 'dense';

/** 2^20 entries of float64 per table: 8 MiB, a few tens of milliseconds per list. */
export const MAX_DENSE_NODES = 20;

export function achievableMasks(lists: HintLists, numa: NUMAInfo, strategy: ClosureStrategy = 'auto'): AchievableMasks {
  const n = numa.nodes.length;
  const denseAllowed = n <= MAX_DENSE_NODES;
  if (strategy === 'dense' && !denseAllowed) throw new RangeError(`dense merge needs at most ${MAX_DENSE_NODES} NUMA nodes, the machine has ${n}`);
  const all = numa.defaultMask;
  const denseStepCost = denseAllowed ? (3 * n + 2) * 2 ** n : Infinity;
  const empty: AchievableMasks = { kind: 'sparse', masks: new Set() };

  // undefined until the first list: nothing narrows anything yet (the set {all}).
  let sparse: Set<NUMAMask> | undefined;
  let dense: DenseTable | undefined;
  const goDense = (sparseSteps: number): boolean => strategy === 'dense' || (strategy === 'auto' && sparseSteps > denseStepCost);
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i] as readonly TopologyHint[];
    if (dense !== undefined) {
      if (!dense.andWith(list, all)) return empty;
      continue;
    }
    if (sparse === undefined) {
      // The first list is what is reachable. Go dense at once when the next list would.
      const next = lists[i + 1];
      if (next !== undefined && goDense(list.length * next.length)) {
        dense = new DenseTable(numa);
        if (!dense.fillFromHints(list, all)) return empty;
        continue;
      }
      sparse = distinctMasks(list, all);
      if (sparse.size === 0) return empty;
      continue;
    }
    if (goDense(sparse.size * list.length)) {
      dense = new DenseTable(numa);
      dense.fill(sparse);
      sparse = undefined;
      if (!dense.andWith(list, all)) return empty;
      continue;
    }
    const masks = distinctMasks(list, all);
    const next = new Set<NUMAMask>();
    for (const s of sparse) {
      for (const m of masks) {
        const merged = s & m;
        if (merged !== 0n) next.add(merged);
      }
    }
    if (next.size === 0) return empty;
    sparse = next;
  }
  if (dense === undefined) {
    const reachable = sparse ?? new Set([all]);
    if (strategy !== 'dense') return { kind: 'sparse', masks: reachable };
    dense = new DenseTable(numa);
    dense.fill(reachable);
  }
  return { kind: 'dense', present: dense.membership(), positions: numa.nodes };
}

function distinctMasks(list: readonly TopologyHint[], all: NUMAMask): Set<NUMAMask> {
  const masks = new Set<NUMAMask>();
  for (const hint of list) {
    const mask = hint.numaAffinity === null ? all : hint.numaAffinity & all;
    if (mask !== 0n) masks.add(mask);
  }
  return masks;
}

/** Membership of masks over the machine's N nodes, index bit p = node positions[p]. */
class DenseTable {
  private readonly n: number;
  private readonly size: number;
  private readonly table: Float64Array;
  private readonly scratch: Float64Array;
  private readonly compress: (mask: NUMAMask) => number;

  constructor(numa: NUMAInfo) {
    this.n = numa.nodes.length;
    this.size = 1 << this.n;
    this.table = new Float64Array(this.size);
    this.scratch = new Float64Array(this.size);
    this.compress = compressor(numa);
  }

  fill(masks: Iterable<NUMAMask>): void {
    for (const m of masks) this.table[this.compress(m)] = 1;
    this.table[0] = 0;
  }

  /** table := the masks of the list (any node = all); false when none is non-empty. */
  fillFromHints(list: readonly TopologyHint[], all: NUMAMask): boolean {
    for (const hint of list) this.table[this.compress(hint.numaAffinity ?? all)] = 1;
    this.table[0] = 0;
    return this.table.some((v) => v > 0);
  }

  /** table := { s & m : s in table, m a mask of the list } minus the empty mask; false when nothing is left. */
  andWith(list: readonly TopologyHint[], all: NUMAMask): boolean {
    const { table, scratch, size, n } = this;
    scratch.fill(0);
    for (const hint of list) scratch[this.compress(hint.numaAffinity ?? all)] = 1;
    scratch[0] = 0;
    // Counts stay exact: after the zeta step each entry is at most 2^N, the product
    // at most 4^N (2^40 for 20 nodes, below 2^53), and every intermediate of the
    // inversion is a partial sum of those products.
    supersetZeta(table, n);
    supersetZeta(scratch, n);
    for (let x = 0; x < size; x++) table[x] = table[x]! * scratch[x]!;
    supersetMobius(table, n);
    let any = false;
    table[0] = 0;
    for (let x = 1; x < size; x++) {
      if (table[x]! > 0) {
        table[x] = 1;
        any = true;
      } else table[x] = 0;
    }
    return any;
  }

  membership(): Uint8Array {
    const present = new Uint8Array(this.size);
    for (let x = 1; x < this.size; x++) present[x] = this.table[x]! > 0 ? 1 : 0;
    return present;
  }
}

/** a[x] := sum of a[y] over y containing x. */
function supersetZeta(a: Float64Array, n: number): void {
  const size = 1 << n;
  for (let bit = 1; bit < size; bit <<= 1) {
    for (let base = 0; base < size; base += bit << 1) {
      for (let x = base; x < base + bit; x++) a[x] = a[x]! + a[x + bit]!;
    }
  }
}

/** Inverse of supersetZeta. */
function supersetMobius(a: Float64Array, n: number): void {
  const size = 1 << n;
  for (let bit = 1; bit < size; bit <<= 1) {
    for (let base = 0; base < size; base += bit << 1) {
      for (let x = base; x < base + bit; x++) a[x] = a[x]! - a[x + bit]!;
    }
  }
}

/** Maps a mask to the dense index of its part within the machine's nodes. */
function compressor(numa: NUMAInfo): (mask: NUMAMask) => number {
  const nodes = numa.nodes;
  const all = numa.defaultMask;
  // Nodes 0..N-1: a mask no larger than "all" has no other bits, and needs no AND (nor its allocation).
  if (nodes.every((id, i) => id === i)) return (mask) => Number(mask <= all ? mask : mask & all);
  const bits = nodes.map((id) => 1n << BigInt(id));
  return (mask) => {
    let x = 0;
    for (let p = 0; p < bits.length; p++) if ((mask & (bits[p] as bigint)) !== 0n) x |= 1 << p;
    return x;
  };
}
