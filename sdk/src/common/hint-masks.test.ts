import { describe, expect, it } from 'vitest';
import { HINT_MASK_BUDGET, hintMasks, narrowestFittingWidth, type MaskCapacity } from './hint-masks.js';
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

describe('hintMasks', () => {
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
