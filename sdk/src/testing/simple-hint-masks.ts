/**
 * The hint search of `@kernelet/sdk/common` (hintMasks, narrowestFittingWidth) as it
 * was before its shortcuts: every candidate mask built and tested, one width at a time,
 * by a recursive walk; it ignores `sufficientCapacity` and reads capacities with
 * amountOf. Kept for tests only, so the shortcuts can be compared against it on random
 * searches; it must answer exactly as hintMasks and narrowestFittingWidth do.
 */
import {
  amountOf,
  examinesEveryMask,
  HINT_MASK_BUDGET,
  type HintMaskSearch,
  type MaskCapacity,
  type MaskTest,
} from '../common/hint-masks.js';
import { forEachMask, maskIds, maskOf, type NUMAMask } from '../common/numa-mask.js';

/** How many masks, partial or whole, the search on a large machine may look at per hint it may offer. */
const STEPS_PER_HINT = 64;

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
export function simpleHintMasks(search: HintMaskSearch): NUMAMask[] {
  const ids = [...search.ids].sort((a, b) => a - b);
  const budget = search.budget ?? HINT_MASK_BUDGET;
  const required = search.required ?? 0n;
  const found: NUMAMask[] = [];
  if (examinesEveryMask(ids.length)) {
    forEachMask(ids, (mask, maskNodeIds) => {
      if ((mask & required) === required && search.fits(mask, maskNodeIds)) found.push(mask);
    });
    return found;
  }

  const narrowest = Math.max(narrowestCapacityWidth(ids, search.capacity), maskIds(required).length, 1);
  if (!Number.isFinite(narrowest)) return found;
  const all = maskOf(ids);
  const multiNodePool = [...(search.multiNodeIds ?? ids)].sort((a, b) => a - b);
  const extras = (search.extraMasks ?? []).map((mask) => ({ mask, ids: maskIds(mask) }));
  const steps = { left: STEPS_PER_HINT * budget };
  let foundWidth = false;
  for (let width = narrowest; width <= ids.length && steps.left > 0; width++) {
    // The first width that fits is cut at the budget; a wider one is taken whole or not at all.
    const room = budget - found.length;
    const cap = foundWidth ? room + 1 : room;
    const level: NUMAMask[] = [];
    // The masks built are distinct and come in upstream's order; an extra one may repeat one, or need sorting in.
    forEachMaskOfWidth(width === 1 ? ids : multiNodePool, width, required, search.capacity, steps, (mask, maskNodeIds) => {
      if (search.fits(mask, maskNodeIds)) level.push(mask);
      return level.length < cap;
    });
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
    if (level.length > 0) foundWidth = true;
    if (found.length >= budget) break;
  }
  if (!found.includes(all) && (all & required) === required && search.fits(all, maskIds(all))) found.push(all);
  return found;
}

/**
 * The narrowest width at which some mask of `ids` satisfies `fits`, searched by width
 * from the capacity's lower bound (undefined when no mask does): every mask on
 * machines of up to 12 NUMA nodes, as upstream. On larger ones the search is bounded
 * like hintMasks; if it runs out, the width it reached is returned (never more than
 * the true answer).
 */
export function simpleNarrowestFittingWidth(
  ids: readonly number[],
  fits: MaskTest,
  capacity?: MaskCapacity,
  budget = HINT_MASK_BUDGET,
): number | undefined {
  const sorted = [...ids].sort((a, b) => a - b);
  if (examinesEveryMask(sorted.length)) {
    let narrowest: number | undefined;
    forEachMask(sorted, (mask, maskNodeIds) => {
      if (narrowest === undefined && fits(mask, maskNodeIds)) narrowest = maskNodeIds.length;
    });
    return narrowest;
  }
  const from = Math.max(narrowestCapacityWidth(sorted, capacity), 1);
  if (!Number.isFinite(from)) return undefined;
  const steps = { left: STEPS_PER_HINT * budget };
  for (let width = from; width <= sorted.length; width++) {
    let hit = false;
    forEachMaskOfWidth(sorted, width, 0n, capacity, steps, (mask, maskNodeIds) => {
      hit = fits(mask, maskNodeIds);
      return !hit;
    });
    if (hit || steps.left <= 0) return width;
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
  capacity.needs.forEach((need, d) => {
    if (need <= 0) return;
    const offers = ids.map((id) => amountOf(capacity.offers[d], id)).sort((a, b) => b - a);
    let sum = 0;
    let k = 0;
    while (k < offers.length && sum < need) sum += offers[k++] as number;
    width = Math.max(width, sum >= need ? k : Infinity);
  });
  return width;
}

/**
 * Calls visit with the masks of exactly `width` nodes of `pool` (ascending ids) that
 * contain `required` and that the capacity does not rule out, in upstream's order,
 * and with their ids (an array reused for the next mask); stops when visit returns
 * false or the step allowance runs out.
 */
function forEachMaskOfWidth(
  pool: readonly number[],
  width: number,
  required: NUMAMask,
  capacity: MaskCapacity | undefined,
  steps: { left: number },
  visit: MaskTest,
): void {
  const n = pool.length;
  if (width > n) return;
  const bits = pool.map((id) => 1n << BigInt(id));
  const isRequired = bits.map((b) => (b & required) !== 0n);
  const needsAll = required === 0n || (maskOf(pool) & required) === required;
  if (!needsAll) return;
  const dims = capacity?.needs.length ?? 0;
  const offers = Array.from({ length: dims }, (_, d) => pool.map((id) => amountOf(capacity?.offers[d], id)));
  // suffixMax[d][i]: the best single offer among pool[i..]: a cheap bound on what is left to take.
  const suffixMax = offers.map((row) => {
    const out = new Array<number>(n + 1).fill(0);
    for (let i = n - 1; i >= 0; i--) out[i] = Math.max(row[i] as number, out[i + 1] as number);
    return out;
  });
  const needs = capacity?.needs ?? [];
  const sums = new Array<number>(dims).fill(0);
  // nextRequired[i]: the first required position at or after i (n when none): a mask cannot skip it.
  const nextRequired = new Array<number>(n + 1).fill(n);
  for (let i = n - 1; i >= 0; i--) nextRequired[i] = isRequired[i] ? i : (nextRequired[i + 1] as number);

  // chosen[k]: the id of the k-th node of the mask being built.
  const chosen = new Array<number>(width).fill(0);
  let stopped = false;
  const extend = (start: number, left: number, acc: NUMAMask): void => {
    if (stopped) return;
    if (--steps.left < 0) {
      stopped = true;
      return;
    }
    if (left === 0) {
      if (nextRequired[start] !== n) return;
      if (!visit(acc, chosen)) stopped = true;
      return;
    }
    for (let d = 0; d < dims; d++) {
      if ((sums[d] as number) + left * (suffixMax[d]?.[start] as number) < (needs[d] as number)) return;
    }
    const last = Math.min(n - left, nextRequired[start] as number);
    for (let i = start; i <= last && !stopped; i++) {
      chosen[width - left] = pool[i] as number;
      for (let d = 0; d < dims; d++) sums[d] = (sums[d] as number) + (offers[d]?.[i] as number);
      extend(i + 1, left - 1, acc | (bits[i] as bigint));
      for (let d = 0; d < dims; d++) sums[d] = (sums[d] as number) - (offers[d]?.[i] as number);
    }
  };
  extend(0, width, 0n);
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
