import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { simpleHintMasks, simpleNarrowestFittingWidth } from '../testing/simple-hint-masks.js';
import { HINT_MASK_BUDGET, hintMasks, narrowestFittingWidth, type HintMaskSearch, type MaskCapacity, type MaskTest } from './hint-masks.js';
import { forEachMask, maskCount, maskIds, maskOf, type NUMAMask } from './numa-mask.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Each node offers `free[id]` units; a mask fits when its nodes add up to `need` and it holds `required`. */
function capacityCase(free: readonly number[], need: number, required = 0n) {
  const offers = new Map(free.map((f, id) => [id, f]));
  const fits = (mask: NUMAMask): boolean => (mask & required) === required && maskIds(mask).reduce((sum, id) => sum + (offers.get(id) ?? 0), 0) >= need;
  const capacity: MaskCapacity = { offers: [offers], needs: [need] };
  return { ids: range(free.length), fits, capacity, required };
}

function bruteForce(ids: readonly number[], fits: (m: NUMAMask) => boolean): NUMAMask[] {
  const out: NUMAMask[] = [];
  forEachMask(ids, (m) => {
    if (fits(m)) out.push(m);
  });
  return out;
}

/** The subsets of `width` ids of the ascending `pool`, in upstream's order. */
function subsetsOfWidth(pool: readonly number[], width: number): NUMAMask[] {
  if (width === 0) return [0n];
  const out: NUMAMask[] = [];
  pool.forEach((id, i) => {
    if (pool.length - i >= width) for (const rest of subsetsOfWidth(pool.slice(i + 1), width - 1)) out.push(maskOf([id]) | rest);
  });
  return out;
}

const upstreamOrder = (a: NUMAMask, b: NUMAMask): number => {
  const [x, y] = [maskIds(a), maskIds(b)];
  const i = x.findIndex((id, k) => id !== y[k]);
  return i < 0 ? x.length - y.length : (x[i] as number) - (y[i] as number);
};

/**
 * hintMasks on a large machine as its documentation states it, width by width with no
 * step allowance (tests only): every fitting mask built from the pool in upstream's
 * order, then the extra ones; the first width that fits cut at the budget, a wider one
 * taken whole or ending the search; all nodes last.
 */
function referenceHintMasks(search: HintMaskSearch): NUMAMask[] {
  const ids = [...search.ids].sort((a, b) => a - b);
  const budget = search.budget ?? HINT_MASK_BUDGET;
  const required = search.required ?? 0n;
  const fits = (mask: NUMAMask) => (mask & required) === required && search.fits(mask, maskIds(mask));
  const found: NUMAMask[] = [];
  for (let width = Math.max(1, maskCount(required)); width <= ids.length; width++) {
    const pool = width === 1 ? ids : [...(search.multiNodeIds ?? ids)].sort((a, b) => a - b);
    const built = subsetsOfWidth(pool, width).filter(fits);
    const extras = (search.extraMasks ?? []).filter((m) => maskCount(m) === width && !built.includes(m) && fits(m));
    const room = budget - found.length;
    const level = [...built, ...new Set(extras)].slice(0, found.length > 0 ? room + 1 : room);
    if (found.length > 0 && level.length > room) break;
    found.push(...level.sort(upstreamOrder));
    if (found.length >= budget) break;
  }
  const all = maskOf(ids);
  if (!found.includes(all) && fits(all)) found.push(all);
  return found;
}

describe('hintMasks', () => {
  it('on large machines matches its stated rule on random searches (pools, required nodes, extra masks, budgets)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = seededRandom(seed);
      const int = (n: number) => Math.floor(next() * n);
      const n = 13 + int(12);
      const free = range(n).map(() => int(5));
      const need = 1 + int(10);
      // A test the capacity bounds, with a fifth of the masks refused for other reasons (as a group rule would).
      const refused = BigInt(int(5));
      const fits = (mask: NUMAMask, maskNodeIds: readonly number[]) =>
        maskNodeIds.reduce((sum, id) => sum + (free[id] ?? 0), 0) >= need && ((mask * 2654435761n) >> 7n) % 5n !== refused;
      const extraMasks = Array.from({ length: int(4) }, () => maskOf(Array.from({ length: 1 + int(3) }, () => int(n))));
      if (next() < 0.2) extraMasks.push(maskOf(range(n)));
      // At most 6 multi-node ids: the search takes at most 25 + 6 * 2^6 steps, under the
      // smallest budget's allowance, so the stated rule alone decides.
      const search: HintMaskSearch = {
        ids: range(n),
        fits,
        capacity: { offers: [new Map(free.map((f, id) => [id, f]))], needs: [need] },
        required: next() < 0.3 ? maskOf([int(n)]) : 0n,
        multiNodeIds: range(n).filter(() => next() < 0.35).slice(0, 6),
        extraMasks,
        budget: 10 + int(50),
      };
      expect(hintMasks(search), `seed ${seed}`).toEqual(referenceHintMasks(search));
    }
  });

  it('passes every test the ids of the mask it asks about', () => {
    for (const n of [8, 16, 64]) {
      const asked: [NUMAMask, number[]][] = [];
      const free = range(n).map((id) => (id % 3) + 1);
      const { ids, capacity } = capacityCase(free, 4);
      hintMasks({
        ids,
        capacity,
        fits: (mask, maskNodeIds) => {
          asked.push([mask, [...maskNodeIds]]);
          return maskNodeIds.reduce((sum, id) => sum + (free[id] ?? 0), 0) >= 4;
        },
        extraMasks: [maskOf([1, 5]), maskOf([2, 3, 7])],
        multiNodeIds: range(n).filter((id) => id % 2 === 0),
      });
      expect(asked.length).toBeGreaterThan(0);
      for (const [mask, maskNodeIds] of asked) expect(maskNodeIds).toEqual(maskIds(mask));
    }
  });

  it.each([1, 4, 8, 12])('offers exactly every fitting mask, in upstream order, on %i NUMA nodes', (n) => {
    const free = range(n).map((i) => (i * 7) % 5);
    const search = capacityCase(free, 6);
    expect(hintMasks(search)).toEqual(bruteForce(search.ids, search.fits));
  });

  it('on 16 nodes: every fitting mask of each width it takes, widths in order, then all nodes', () => {
    const search = capacityCase(range(16).map(() => 4), 2);
    const masks = hintMasks(search);
    // 16 single nodes and 120 pairs (136); the 560 triples would pass the budget of 512.
    expect(masks.length).toBe(16 + 120 + 1);
    expect(masks.slice(0, 16).map(maskIds)).toEqual(range(16).map((i) => [i]));
    expect(masks.slice(16, 136).every((m) => maskCount(m) === 2)).toBe(true);
    expect(masks.at(-1)).toBe(maskOf(range(16)));
    expect(masks.slice(0, 136)).toEqual(bruteForce(search.ids, search.fits).filter((m) => maskCount(m) <= 2));
  });

  it('on 64 nodes takes the minimal fitting width whole and skips narrower widths', () => {
    // Nodes offer 4; 10 units need 3 nodes: C(64,3) = 41664 masks would pass any budget, so it is cut at the budget.
    const search = capacityCase(range(64).map(() => 4), 10);
    const masks = hintMasks({ ...search, budget: 50_000 });
    expect(masks.length).toBe(41664 + 1);
    expect(masks.every((m, i) => (i < 41664 ? maskCount(m) === 3 : m === maskOf(range(64))))).toBe(true);
  });

  it('cuts the minimal width at the budget, in upstream order, when more masks fit', () => {
    const search = capacityCase(range(64).map(() => 4), 5);
    const masks = hintMasks(search);
    expect(masks.length).toBe(HINT_MASK_BUDGET + 1);
    expect(maskIds(masks[0] as NUMAMask)).toEqual([0, 1]);
    expect(maskIds(masks[62] as NUMAMask)).toEqual([0, 63]);
    expect(maskIds(masks[63] as NUMAMask)).toEqual([1, 2]);
  });

  it('finds the few masks that fit on a busy 64-node machine', () => {
    // Only nodes 17 and 40 have room, together.
    const free = range(64).map((id) => (id === 17 || id === 40 ? 3 : 0));
    const search = capacityCase(free, 5);
    const masks = hintMasks(search).map(maskIds);
    // The pair, the 62 triples that hold it (the 1891 quadruples would pass the budget), all nodes.
    expect(masks[0]).toEqual([17, 40]);
    expect(masks.length).toBe(1 + 62 + 1);
    expect(masks.slice(1, 63).every((ids) => ids.length === 3 && ids.includes(17) && ids.includes(40))).toBe(true);
    expect(masks.at(-1)).toEqual(range(64));
  });

  it('cuts the first fitting width at the budget before trying the extra masks', () => {
    const { ids, fits, capacity } = capacityCase(range(16).map(() => 4), 1);
    const masks = hintMasks({ ids, fits, capacity, extraMasks: [maskOf([15])], budget: 10 });
    expect(masks.map(maskIds)).toEqual([...range(10).map((id) => [id]), range(16)]);
  });

  it('builds only masks that hold the required nodes', () => {
    const search = capacityCase(range(16).map(() => 2), 3, maskOf([7]));
    const masks = hintMasks({ ...search, required: search.required });
    expect(masks.length).toBeGreaterThan(0);
    expect(masks.every((m) => (m & maskOf([7])) !== 0n)).toBe(true);
    expect(masks.slice(0, 15)).toEqual(bruteForce(search.ids, search.fits).slice(0, 15));
  });

  it('builds masks of several nodes from multiNodeIds, and tries the extra masks', () => {
    const free = range(16).map(() => 4);
    const { fits, capacity } = capacityCase(free, 6);
    const masks = hintMasks({ ids: range(16), fits, capacity, multiNodeIds: [3, 4, 5], extraMasks: [maskOf([10, 11])] });
    expect(masks.map(maskIds)).toEqual([[3, 4], [3, 5], [4, 5], [10, 11], [3, 4, 5], range(16)]);
  });

  it('offers nothing when no mask can fit, without searching', () => {
    const search = capacityCase(range(64).map(() => 1), 65);
    expect(hintMasks(search)).toEqual([]);
  });

  it('stays fast on 64 nodes whatever the request', () => {
    for (const need of [1, 4, 8, 40, 200, 256]) {
      const search = capacityCase(range(64).map(() => 4), need);
      const masks = hintMasks(search);
      expect(masks.length).toBeLessThanOrEqual(HINT_MASK_BUDGET + 1);
      expect(masks.length).toBeGreaterThan(0);
    }
  });
});

describe('narrowestFittingWidth', () => {
  it.each([
    ['12 nodes, exhaustive', range(12).map(() => 4), 9, 3],
    ['64 nodes', range(64).map(() => 4), 9, 3],
    ['64 nodes, uneven', range(64).map((id) => (id === 63 ? 10 : 1)), 11, 2],
    ['nothing fits', range(20).map(() => 1), 21, undefined],
  ])('%s', (_name, free, need, expected) => {
    const { ids, fits, capacity } = capacityCase(free, need);
    expect(narrowestFittingWidth(ids, fits, capacity)).toBe(expected);
  });
});

/**
 * A random search over `n` nodes in two dimensions: each node offers some of each, a
 * mask fits when it reaches both needs and is not refused by a rule of its own (as a
 * group rule would refuse it) unless what its nodes surely offer reaches a higher bar.
 * The sufficient capacity is that bar: it never vouches for a mask `fits` refuses.
 */
function randomSearch(next: () => number, n: number): HintMaskSearch {
  const int = (k: number) => Math.floor(next() * k);
  // Partly filled machines: some nodes offer nothing, others part or all of 4 units.
  const fill = next();
  const free = [range(n).map(() => (next() < fill ? int(2) : 1 + int(4))), range(n).map(() => int(3))];
  const sure = free.map((row) => row.map((f) => (next() < 0.8 ? f : int(f + 1))));
  const needs = [1 + int(12), int(4)];
  const sureNeeds = needs.map((need) => need + int(3));
  const refused = BigInt(int(6));
  const sum = (row: readonly number[], maskNodeIds: readonly number[]) => maskNodeIds.reduce((s, id) => s + (row[id] ?? 0), 0);
  const fits: MaskTest = (mask, maskNodeIds) =>
    free.every((row, d) => sum(row, maskNodeIds) >= (needs[d] as number)) &&
    (((mask * 2654435761n) >> 5n) % 7n !== refused || sure.every((row, d) => sum(row, maskNodeIds) >= (sureNeeds[d] as number)));
  const offers = (rows: number[][]) => rows.map((row) => new Map(row.map((f, id) => [id, f])));
  const search: HintMaskSearch = {
    ids: range(n),
    fits,
    capacity: { offers: offers(free), needs },
    // Small budgets run out of steps (64 per hint) part way through a width.
    budget: next() < 0.5 ? 1 + int(next() < 0.5 ? 8 : 60) : HINT_MASK_BUDGET,
  };
  if (next() < 0.8) search.sufficientCapacity = { offers: offers(sure), needs: sureNeeds };
  if (next() < 0.3) search.required = maskOf(Array.from({ length: 1 + int(2) }, () => int(n)));
  if (next() < 0.4) search.multiNodeIds = range(n).filter(() => next() < 0.7);
  if (next() < 0.3) search.extraMasks = Array.from({ length: 1 + int(3) }, () => maskOf(Array.from({ length: 1 + int(4) }, () => int(n))));
  return search;
}

describe('hintMasks and narrowestFittingWidth against the search without shortcuts', () => {
  it.each([2, 5, 12, 13, 16, 24, 64])('answer exactly as it does on random searches over %i nodes', (n) => {
    for (let seed = 1; seed <= (n > 16 ? 150 : 300); seed++) {
      const search = randomSearch(seededRandom(n * 1000 + seed), n);
      expect(hintMasks(search), `seed ${seed}`).toEqual(simpleHintMasks(search));
      const capacity = search.capacity;
      expect(narrowestFittingWidth(search.ids, search.fits, capacity, search.budget), `seed ${seed}`).toBe(
        simpleNarrowestFittingWidth(search.ids, search.fits, capacity, search.budget),
      );
    }
  });

  it.each([
    ['every node has room: the pairs surely overflow the budget', range(64).map(() => 4), 1, 64 + 1],
    ['a node short of the request', range(64).map((id) => (id === 0 ? 2 : 4)), 4, 63 + 1],
    ['pairs needed: the first 512 in upstream order', range(64).map(() => 4), 6, HINT_MASK_BUDGET + 1],
  ])('on 64 nodes with a sufficient capacity: %s', (_name, free, need, length) => {
    const search = { ...capacityCase(free, need), budget: HINT_MASK_BUDGET };
    const exact = { ...search, sufficientCapacity: search.capacity };
    const masks = hintMasks(exact);
    expect(masks.length).toBe(length);
    expect(masks).toEqual(simpleHintMasks(search));
  });

  it('asks fits nothing about a width that surely overflows the budget, nor about masks that surely fit', () => {
    const { ids, fits, capacity } = capacityCase(range(64).map(() => 4), 1);
    const asked: number[] = [];
    const masks = hintMasks({ ids, capacity, sufficientCapacity: capacity, multiNodeIds: range(16), fits: (mask, maskNodeIds) => (asked.push(maskNodeIds.length), fits(mask)) });
    // 64 single nodes are tested; the 120 pairs of the 16 multi-node ids surely fit; the 560 triples would overflow.
    expect(masks.length).toBe(64 + 120 + 1);
    expect(asked.filter((width) => width === 1).length).toBe(64);
    expect(asked.filter((width) => width === 2 || width === 3).length).toBe(0);
  });
});

describe('hintMasks shortcuts at their edges', () => {
  it.each([695, 696, 697])('drops a wider width only when it holds more masks than there is room for (budget %i)', (budget) => {
    // 16 nodes, each holds the request: 16 single nodes, 120 pairs, then 560 triples against a room of budget - 136.
    const search = { ...capacityCase(range(16).map(() => 4), 1), budget };
    expect(hintMasks({ ...search, sufficientCapacity: search.capacity })).toEqual(simpleHintMasks(search));
  });

  it('counts the masks of a width past half the pool right (C(10,9) is 10, not the 252 of C(10,5))', () => {
    // Nodes 0-9 offer 1 each and 8 are needed: 45 masks of 8 nodes, then 10 of 9 against a room of 100.
    const free = range(13).map((id) => (id < 10 ? 1 : 0));
    const search = { ...capacityCase(free, 8), multiNodeIds: range(10), budget: 145 };
    const masks = hintMasks({ ...search, sufficientCapacity: search.capacity });
    expect(masks.map(maskCount)).toEqual([...Array<number>(45).fill(8), ...Array<number>(10).fill(9), 10, 13]);
    expect(masks).toEqual(simpleHintMasks(search));
  });

  it('counts steps node by node as the search without shortcuts does, wherever the allowance runs out', () => {
    // No single node fits, and a mask of several fits when its lowest node is `from` or
    // later: the allowance (64 steps per hint) runs out among the fitting pairs for some
    // budgets, where one step more or less would offer one mask more or less.
    for (let from = 0; from < 64; from += 3) {
      const fits: MaskTest = (_mask, maskNodeIds) => maskNodeIds.length > 1 && (maskNodeIds[0] as number) >= from;
      for (let budget = 1; budget <= 40; budget++) {
        const search: HintMaskSearch = { ids: range(64), fits, budget };
        expect(hintMasks(search), `from ${from}, budget ${budget}`).toEqual(simpleHintMasks(search));
      }
    }
  });
});
