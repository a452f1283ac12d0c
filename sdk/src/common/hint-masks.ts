import { forEachMask, maskCount, maskIds, maskOf, type NUMAMask } from './numa-mask.js';

/**
 * Up to this many NUMA nodes (4095 masks) a hint provider examines every mask, as
 * upstream does, so its hints are exactly upstream's.
 *
 * Upstream providers always do: 2^N steps and up to 2^N - 1 hints per resource for N
 * NUMA nodes, one reason the kubelet refuses machines with more than 8 of them. Past
 * this size kernelet providers search by width instead (see hintMasks).
 */
export const EXHAUSTIVE_HINT_NUMA_NODES = 12;

/**
 * How many hints a provider offers per resource on a machine with more than
 * EXHAUSTIVE_HINT_NUMA_NODES NUMA nodes. Small enough that merging the lists of
 * several providers stays in milliseconds.
 */
export const HINT_MASK_BUDGET = 512;

/** True when a machine with this many NUMA nodes is small enough for providers to examine every mask. */
export function examinesEveryMask(numaNodes: number): boolean {
  return numaNodes <= EXHAUSTIVE_HINT_NUMA_NODES;
}

/**
 * What each node gives in one dimension, by node id: a Map, or an array indexed by
 * node id (cheaper for a provider to fill on every call). A node absent from it gives 0.
 */
export type NodeAmounts = ReadonlyMap<number, number> | readonly (number | undefined)[];

/**
 * For each dimension (CPUs, a memory type), what each node gives and what a mask must
 * reach in total. As a search's `capacity`, an additive relaxation of "the mask can
 * hold the request": what each node can give at most; a mask whose nodes cannot add
 * up to every need is never tried, so it must never rule out a mask `fits` accepts.
 */
export interface MaskCapacity {
  /** Per dimension: what each node can give. */
  offers: readonly NodeAmounts[];
  /** Per dimension: what a mask must add up to. */
  needs: readonly number[];
}

/** What node `id` gives in one dimension (0 when absent). */
export function amountOf(amounts: NodeAmounts | undefined, id: number): number {
  if (amounts === undefined) return 0;
  return (isAmountArray(amounts) ? amounts[id] : amounts.get(id)) ?? 0;
}

function isAmountArray(amounts: NodeAmounts): amounts is readonly (number | undefined)[] {
  return Array.isArray(amounts);
}

/** Writes what each of `ids` gives, by position, into `out`: one pass with no lookup call per node. */
function readAmounts(amounts: NodeAmounts | undefined, ids: readonly number[], out: number[] | Float64Array): void {
  if (amounts === undefined) for (let i = 0; i < ids.length; i++) out[i] = 0;
  else if (isAmountArray(amounts)) for (let i = 0; i < ids.length; i++) out[i] = amounts[ids[i] as number] ?? 0;
  else for (let i = 0; i < ids.length; i++) out[i] = amounts.get(ids[i] as number) ?? 0;
}

/**
 * The exact test: the provider would offer this mask as a hint. The search passes the
 * mask's node ids, ascending, as it built them, so a test run thousands of times per
 * call need not read them from the mask; the array may be reused once the test returns.
 */
export type MaskTest = (mask: NUMAMask, ids: readonly number[]) => boolean;

export interface HintMaskSearch {
  /** Every NUMA node id of the machine, each once. */
  ids: readonly number[];
  fits: MaskTest;
  /** Bounds the search on large machines (recommended: without it every mask of a width is tried). */
  capacity?: MaskCapacity;
  /** Nodes every offered mask must contain (large machines: the search only builds such masks). */
  required?: NUMAMask;
  /** Nodes a mask of two or more nodes may be built from, each once (default: all); on large machines only. */
  multiNodeIds?: readonly number[];
  /** Masks tried as well, at their width, whatever multiNodeIds says (e.g. existing NUMA groups). */
  extraMasks?: readonly NUMAMask[];
  budget?: number;
  /**
   * A sufficient condition for `fits`, on large machines: a mask of two or more nodes
   * built from multiNodeIds (holding `required`) whose nodes' offers here reach every
   * need here is one `fits` accepts. Only ever a shortcut, never a change in the masks
   * offered: the search then drops a width that surely holds more fitting masks than
   * the budget has room for without building them, and does not ask `fits` about the
   * masks of a width that all surely fit. It must never vouch for a mask `fits`
   * refuses. Extra masks and single nodes are always tested.
   */
  sufficientCapacity?: MaskCapacity;
}

/** How many masks, partial or whole, the search on a large machine may look at per hint it may offer. */
const STEPS_PER_HINT = 64;

/** What is left of a search's allowance of masks looked at; shared by the widths of one search. */
interface StepAllowance {
  left: number;
}

/**
 * The masks a hint provider offers, narrowest first.
 *
 * - Up to 12 NUMA nodes: every mask `fits` accepts, in upstream's order (by width,
 *   then by node ids): exactly upstream's hints.
 * - Larger machines: by increasing width, starting at the narrowest width the
 *   capacity allows. The first width at which some mask fits is taken whole (every
 *   mask of the minimal width that fits: the preferred ones, when any is), or its
 *   first `budget` masks in upstream's order when more fit. Each wider width is taken
 *   whole (every mask of it that fits) while that stays within the budget; the search
 *   stops at the first width that does not. Last, the
 *   all-nodes mask, when it fits. The search itself is bounded (64 masks looked at,
 *   partial or whole, per hint of budget): it never takes 2^N steps.
 */
export function hintMasks(search: HintMaskSearch): NUMAMask[] {
  const ids = [...search.ids].sort(ascending);
  const budget = search.budget ?? HINT_MASK_BUDGET;
  const required = search.required ?? 0n;
  const found: NUMAMask[] = [];
  if (examinesEveryMask(ids.length)) {
    forEachMask(ids, (mask, maskNodeIds) => {
      if ((mask & required) === required && search.fits(mask, maskNodeIds)) found.push(mask);
    });
    return found;
  }

  const narrowest = Math.max(narrowestCapacityWidth(ids, search.capacity), maskCount(required), 1);
  if (!Number.isFinite(narrowest)) return found;
  const all = allNodes(ids);
  // Each pool's per-node figures are read once per search, and only when a width needs them;
  // without multiNodeIds one pool serves every width.
  let singleNodePool: MaskPool | undefined;
  let multiNodePool: MaskPool | undefined;
  const poolFor = (width: number): MaskPool => {
    if (search.multiNodeIds === undefined) return (multiNodePool ??= new MaskPool(ids, required, search.capacity, search.sufficientCapacity));
    if (width === 1) return (singleNodePool ??= new MaskPool(ids, required, search.capacity));
    return (multiNodePool ??= new MaskPool([...search.multiNodeIds].sort(ascending), required, search.capacity, search.sufficientCapacity));
  };
  const extras = (search.extraMasks ?? []).map((mask) => ({ mask, ids: maskIds(mask) }));
  const steps: StepAllowance = { left: STEPS_PER_HINT * budget };
  let foundWidth = false;
  let lastTakenWidth = 0;
  for (let width = narrowest; width <= ids.length && steps.left > 0; width++) {
    // The first width that fits is cut at the budget; a wider one is taken whole or not at all.
    const room = budget - found.length;
    const pool = poolFor(width);
    // More masks that surely fit than there is room for: building them would only find that out.
    if (foundWidth && pool.surelyFittingMoreThan(width, room)) break;
    const cap = foundWidth ? room + 1 : room;
    const level: NUMAMask[] = [];
    // The masks built are distinct and come in upstream's order; an extra one may repeat one, or need sorting in.
    pool.collect(width, pool.surelyAllFit(width) ? undefined : search.fits, level, cap, steps);
    let tookExtra = false;
    for (const extra of extras) {
      if (level.length >= cap) break;
      if (extra.ids.length !== width || (extra.mask & required) !== required) continue;
      if (!level.includes(extra.mask) && search.fits(extra.mask, extra.ids)) {
        level.push(extra.mask);
        tookExtra = true;
      }
    }
    if (foundWidth && (level.length > room || steps.left <= 0)) break;
    for (const mask of tookExtra ? inUpstreamOrder(level) : level) found.push(mask);
    if (level.length > 0) {
      foundWidth = true;
      lastTakenWidth = width;
    }
    if (found.length >= budget) break;
  }
  // Only a mask of every node can be the all-nodes mask: the last width taken holds it if anything does.
  const hasAll = lastTakenWidth === ids.length && found.includes(all.mask);
  if (!hasAll && (all.mask & required) === required && search.fits(all.mask, all.ids)) found.push(all.mask);
  return found;
}

/** The all-nodes mask of a machine and its node ids, as maskIds reads them. */
interface AllNodes {
  /** The node ids the mask was made from, ascending (the cache key). */
  from: readonly number[];
  mask: NUMAMask;
  ids: readonly number[];
}

/** The last machine's: providers ask about the same node ids on every call. */
let lastAllNodes: AllNodes | undefined;

function allNodes(ids: readonly number[]): AllNodes {
  const last = lastAllNodes;
  if (last && sameIds(last.from, ids)) return last;
  const mask = maskOf(ids);
  lastAllNodes = { from: [...ids], mask, ids: maskIds(mask) };
  return lastAllNodes;
}

/**
 * Where the masks of exactly `width` nodes lie in a list sorted narrowest first, as
 * hintMasks returns it: the range [start, end) of indexes (empty when there are none).
 * Lets a provider mark its preferred hints, those of the minimal width, without
 * counting the nodes of every mask.
 */
export function widthRange(masks: readonly NUMAMask[], width: number): { start: number; end: number } {
  return { start: firstWider(masks, width - 1), end: firstWider(masks, width) };
}

/** The index of the first mask of more than `width` nodes (masks sorted narrowest first). */
function firstWider(masks: readonly NUMAMask[], width: number): number {
  let lo = 0;
  let hi = masks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (maskCount(masks[mid] as NUMAMask) > width) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The narrowest width at which some mask of `ids` satisfies `fits`, searched by width
 * from the capacity's lower bound (undefined when no mask does): every mask on
 * machines of up to 12 NUMA nodes, as upstream. On larger ones the search is bounded
 * like hintMasks; if it runs out, the width it reached is returned (never more than
 * the true answer).
 */
export function narrowestFittingWidth(
  ids: readonly number[],
  fits: MaskTest,
  capacity?: MaskCapacity,
  budget = HINT_MASK_BUDGET,
): number | undefined {
  const sorted = [...ids].sort(ascending);
  const hit: NUMAMask[] = [];
  if (examinesEveryMask(sorted.length)) {
    // Every mask in upstream's order (by width, then node ids) until the first that fits.
    const pool = new MaskPool(sorted, 0n, undefined);
    const unbounded: StepAllowance = { left: Infinity };
    for (let width = 1; width <= sorted.length; width++) {
      pool.collect(width, fits, hit, 1, unbounded);
      if (hit.length > 0) return width;
    }
    return undefined;
  }
  const from = Math.max(narrowestCapacityWidth(sorted, capacity), 1);
  if (!Number.isFinite(from)) return undefined;
  const pool = new MaskPool(sorted, 0n, capacity);
  const steps: StepAllowance = { left: STEPS_PER_HINT * budget };
  for (let width = from; width <= sorted.length; width++) {
    pool.collect(width, fits, hit, 1, steps);
    if (hit.length > 0 || steps.left <= 0) return width;
  }
  return undefined;
}

/**
 * The fewest nodes whose best offers reach every need (Infinity when all of them do
 * not): no mask narrower than this can fit.
 */
function narrowestCapacityWidth(ids: readonly number[], capacity: MaskCapacity | undefined): number {
  if (!capacity) return 1;
  let width = 0;
  const byPosition: number[] = [];
  capacity.needs.forEach((need, d) => {
    if (need <= 0) return;
    readAmounts(capacity.offers[d], ids, byPosition);
    // The usual answer, one node, needs only the best offer: no array to sort.
    let best = -Infinity;
    for (let i = 0; i < ids.length; i++) best = Math.max(best, byPosition[i] as number);
    if (ids.length > 0 && best >= need) {
      width = Math.max(width, 1);
      return;
    }
    // A typed array sorts numerically without a comparator call per step; read from the end, it is largest first.
    const offers = Float64Array.from(byPosition).sort();
    let sum = 0;
    let k = 0;
    while (k < offers.length && sum < need) sum += offers[offers.length - 1 - k++] as number;
    width = Math.max(width, sum >= need ? k : Infinity);
  });
  return width;
}

/**
 * The masks of a given width built from one pool of node ids (ascending), in upstream's
 * order: those that contain `required` and that the capacity does not rule out.
 *
 * The search runs on every admission in a plugin host without V8's optimizing
 * compiler, where each pass over 64 nodes costs microseconds: the pool reads its
 * per-node figures only when a width needs them (single nodes need none; wider masks
 * the arrays by position, read once for every width), and builds masks by an explicit
 * walk over positions rather than recursive closures.
 */
class MaskPool {
  private readonly ids: readonly number[];
  private readonly required: NUMAMask;
  /** Read by the walk over two or more nodes only (see collectSingleNodes). */
  private readonly capacity: MaskCapacity | undefined;
  private readonly sufficientCapacity: MaskCapacity | undefined;
  /** False when a required node is not in the pool: no mask built from it holds `required`. */
  private readonly holdsRequired: boolean;
  private walkFigures: WalkFigures | undefined;
  private sufficientOffers: SufficientOffers | undefined;

  constructor(pool: readonly number[], required: NUMAMask, capacity: MaskCapacity | undefined, sufficient?: MaskCapacity) {
    this.ids = pool;
    this.required = required;
    this.capacity = capacity;
    this.sufficientCapacity = sufficient;
    this.holdsRequired = required === 0n || (maskOf(pool) & required) === required;
  }

  /**
   * True when more than `limit` masks of this width are built and surely fit by the
   * sufficient capacity (which speaks of masks of two or more nodes only).
   */
  surelyFittingMoreThan(width: number, limit: number): boolean {
    const sufficient = this.sufficient();
    if (!sufficient || !this.holdsRequired || width < 2) return false;
    const free = width - sufficient.requiredCount;
    const fillers = sufficient.fillers(free);
    return fillers >= 0 && binomialExceeds(fillers, free, limit);
  }

  /** True when every mask of this width the pool builds fits by the sufficient capacity (two or more nodes). */
  surelyAllFit(width: number): boolean {
    const sufficient = this.sufficient();
    if (!sufficient || width < 2) return false;
    const free = width - sufficient.requiredCount;
    return free >= 0 && sufficient.fillers(free) === this.ids.length - sufficient.requiredCount;
  }

  /**
   * Adds to `out` the masks of `width` nodes that pass `fits` (all of them when it is
   * undefined), in upstream's order, until `out` holds `cap` masks or the allowance
   * runs out. Each node of the walk, partial mask or whole, takes one step.
   */
  collect(width: number, fits: MaskTest | undefined, out: NUMAMask[], cap: number, steps: StepAllowance): void {
    if (width > this.ids.length || !this.holdsRequired) return;
    if (width === 1 && this.required === 0n) this.collectSingleNodes(fits, out, cap, steps);
    else this.walk(width, fits, out, cap, steps);
  }

  /**
   * The walk for one node and nothing required, without its arrays: its first step,
   * then one step per node. That first step would check that the best node reaches
   * every need; the searches come to width 1 only when the capacity's narrowest width
   * is 1, which says just that, so it is not checked again.
   */
  private collectSingleNodes(fits: MaskTest | undefined, out: NUMAMask[], cap: number, steps: StepAllowance): void {
    const ids = this.ids;
    if (--steps.left < 0) return;
    const chosen = [0];
    for (let i = 0; i < ids.length; i++) {
      if (--steps.left < 0) return;
      const id = ids[i] as number;
      const mask = nodeBit(id);
      chosen[0] = id;
      if (fits === undefined || fits(mask, chosen)) {
        out.push(mask);
        if (out.length >= cap) return;
      }
    }
  }

  private walk(width: number, fits: MaskTest | undefined, out: NUMAMask[], cap: number, steps: StepAllowance): void {
    this.walkFigures ??= new WalkFigures(this.ids, this.required, this.capacity);
    const { ids, bits, nextRequired, needs, offers, suffixMax, sums } = this.walkFigures;
    const n = ids.length;
    const dims = needs.length;
    sums.fill(0);
    // At each depth (nodes chosen so far): the position taken, the last one it may take, the mask so far.
    const at = new Array<number>(width).fill(0);
    const lastAt = new Array<number>(width).fill(0);
    const masks = new Array<NUMAMask>(width + 1).fill(0n);
    // The ids of the mask being built, handed to fits (reused for the next mask).
    const chosen = new Array<number>(width).fill(0);
    let depth = 0;
    let start = 0;
    for (;;) {
      // A node of the walk: `depth` nodes chosen, the next one from position `start` on.
      if (--steps.left < 0) return;
      let descend = false;
      if (depth === width) {
        if (nextRequired[start] === n) {
          const mask = masks[depth] as NUMAMask;
          if (fits === undefined || fits(mask, chosen)) {
            out.push(mask);
            if (out.length >= cap) return;
          }
        }
      } else {
        const left = width - depth;
        let reachable = true;
        for (let d = 0; d < dims && reachable; d++) {
          reachable = (sums[d] as number) + left * ((suffixMax[d] as number[])[start] as number) >= (needs[d] as number);
        }
        const last = Math.min(n - left, nextRequired[start] as number);
        if (reachable && start <= last) {
          lastAt[depth] = last;
          descend = true;
        }
      }
      if (!descend) {
        // Back up to the nearest depth with a position left to try.
        for (;;) {
          if (depth === 0) return;
          depth--;
          const i = at[depth] as number;
          for (let d = 0; d < dims; d++) sums[d] = (sums[d] as number) - ((offers[d] as number[])[i] as number);
          if (i < (lastAt[depth] as number)) {
            start = i + 1;
            break;
          }
        }
      }
      // Take the node at `start` as the next one.
      at[depth] = start;
      chosen[depth] = ids[start] as number;
      for (let d = 0; d < dims; d++) sums[d] = (sums[d] as number) + ((offers[d] as number[])[start] as number);
      masks[depth + 1] = depth === 0 ? (bits[start] as NUMAMask) : (masks[depth] as NUMAMask) | (bits[start] as NUMAMask);
      depth++;
      start++;
    }
  }

  private sufficient(): SufficientOffers | undefined {
    if (!this.sufficientCapacity) return undefined;
    return (this.sufficientOffers ??= new SufficientOffers(this.ids, this.required, this.sufficientCapacity));
  }
}

/** What the walk over masks of two or more nodes reads, by position in the pool. */
class WalkFigures {
  readonly ids: readonly number[];
  readonly bits: NUMAMask[] = [];
  /** nextRequired[i]: the first required position at or after i (the pool size when none): a mask cannot skip it. */
  readonly nextRequired: number[];
  readonly needs: readonly number[];
  /** offers[d][i]: what the node at position i offers in dimension d. */
  readonly offers: number[][] = [];
  /** suffixMax[d][i]: the best single offer among positions i and later: a cheap bound on what is left to take. */
  readonly suffixMax: number[][] = [];
  /** What the mask being built adds up to, per dimension. */
  readonly sums: number[] = [];

  constructor(pool: readonly number[], required: NUMAMask, capacity: MaskCapacity | undefined) {
    const n = pool.length;
    this.ids = pool;
    this.needs = capacity?.needs ?? [];
    const dims = this.needs.length;
    for (let d = 0; d < dims; d++) {
      const offers: number[] = [];
      readAmounts(capacity?.offers[d], pool, offers);
      this.offers.push(offers);
      this.suffixMax.push(new Array<number>(n + 1).fill(0));
      this.sums.push(0);
    }
    const isRequired: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const bit = nodeBit(pool[i] as number);
      this.bits.push(bit);
      isRequired.push(required !== 0n && (bit & required) !== 0n);
    }
    this.nextRequired = new Array<number>(n + 1).fill(n);
    for (let i = n - 1; i >= 0; i--) {
      this.nextRequired[i] = isRequired[i] ? i : (this.nextRequired[i + 1] as number);
      for (let d = 0; d < dims; d++) {
        const best = this.suffixMax[d] as number[];
        best[i] = Math.max((this.offers[d] as number[])[i] as number, best[i + 1] as number);
      }
    }
  }
}

/** A pool's offers by the sufficient capacity: which nodes surely fill a mask, whichever of them are taken. */
class SufficientOffers {
  private readonly needs: readonly number[];
  /** How many of the pool's nodes are required. */
  readonly requiredCount: number;
  /** How many of the pool's nodes are outside `required`. */
  private readonly others: number;
  /** offers[d][k]: what the k-th node outside `required` offers in dimension d. */
  private readonly offers: number[][] = [];
  /** What the required nodes offer together, per dimension. */
  private readonly base: number[] = [];

  constructor(pool: readonly number[], required: NUMAMask, capacity: MaskCapacity) {
    this.needs = capacity.needs;
    const held = required === 0n ? [] : pool.filter((id) => (nodeBit(id) & required) !== 0n);
    const others = required === 0n ? pool : pool.filter((id) => (nodeBit(id) & required) === 0n);
    for (let d = 0; d < this.needs.length; d++) {
      const offers: number[] = [];
      readAmounts(capacity.offers[d], others, offers);
      this.offers.push(offers);
      let base = 0;
      for (const id of held) base += amountOf(capacity.offers[d], id);
      this.base.push(base);
    }
    this.others = others.length;
    this.requiredCount = held.length;
  }

  /**
   * How many nodes outside `required` are such that any `free` of them, with the
   * required nodes, reach every need: each gives at least an even share of what the
   * required nodes leave. -1 when not even the required nodes alone can be vouched for.
   */
  fillers(free: number): number {
    const others = this.others;
    if (free < 0) return -1;
    if (free === 0) return this.needs.every((need, d) => (this.base[d] as number) >= need) ? others : -1;
    let count = 0;
    for (let i = 0; i < others; i++) {
      let fills = true;
      for (let d = 0; d < this.needs.length && fills; d++) {
        fills = free * ((this.offers[d] as number[])[i] as number) + (this.base[d] as number) >= (this.needs[d] as number);
      }
      if (fills) count++;
    }
    return count;
  }
}

/** C(n, k) > limit, without computing a binomial past the limit. */
function binomialExceeds(n: number, k: number, limit: number): boolean {
  if (k < 0 || k > n) return 0 > limit;
  const smaller = Math.min(k, n - k);
  // C(n, i) grows with i up to n/2, and each step is exact while it stays under the limit.
  let c = 1;
  for (let i = 0; i < smaller && c <= limit; i++) c = (c * (n - i)) / (i + 1);
  return c > limit;
}

/** One-bit masks by node id, made once per process. */
const NODE_BITS: NUMAMask[] = [];

function nodeBit(id: number): NUMAMask {
  return (NODE_BITS[id] ??= 1n << BigInt(id));
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function ascending(a: number, b: number): number {
  return a - b;
}

/** The masks in upstream's order within a width: lexicographic on the ascending node ids. */
function inUpstreamOrder(masks: readonly NUMAMask[]): NUMAMask[] {
  return masks
    .map((mask) => ({ mask, ids: maskIds(mask) }))
    .sort((a, b) => compareIds(a.ids, b.ids))
    .map(({ mask }) => mask);
}

function compareIds(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}
