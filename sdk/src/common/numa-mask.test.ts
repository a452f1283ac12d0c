import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { forEachMask, maskCount, maskHas, maskIds, maskIsNarrowerThan, maskOf } from './numa-mask.js';

describe('NUMA masks', () => {
  it('converts between ids and masks, past 64 nodes', () => {
    const mask = maskOf([0, 3, 70]);
    expect(maskIds(mask)).toEqual([0, 3, 70]);
    expect(maskCount(mask)).toBe(3);
    expect(maskHas(mask, 70)).toBe(true);
    expect(maskHas(mask, 2)).toBe(false);
  });

  it('reads ids and counts across word boundaries (bits 31, 32, 63, 64) and on random masks', () => {
    const oneByOne = (mask: bigint): number[] => {
      const ids: number[] = [];
      for (let id = 0; mask > 0n; id++, mask >>= 1n) if (mask & 1n) ids.push(id);
      return ids;
    };
    const next = seededRandom(31);
    const masks = [0n, 1n, maskOf([31]), maskOf([32]), maskOf([31, 32]), maskOf([63, 64]), (1n << 64n) - 1n, (1n << 130n) - 1n];
    for (let i = 0; i < 200; i++) masks.push(maskOf(Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 140))));
    for (const mask of masks) {
      expect(maskIds(mask)).toEqual(oneByOne(mask));
      expect(maskCount(mask)).toBe(oneByOne(mask).length);
    }
  });

  it('enumerates subsets by size, then lexicographically', () => {
    const seen: number[][] = [];
    forEachMask([2, 0, 1], (m) => seen.push(maskIds(m)));
    expect(seen).toEqual([[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]);
  });

  it.each([
    ['fewer nodes wins', [0], [0, 1], true],
    ['more nodes loses', [0, 1], [0], false],
    ['same size, lower value wins', [0], [1], true],
    ['same size, higher value loses', [1], [0], false],
    ['compares the highest differing node, not the count of low nodes', [1, 2], [0, 3], true],
    ['a mask is not narrower than itself', [2, 5], [2, 5], false],
    ['past 64 nodes', [3, 70], [64, 65], false],
  ])('maskIsNarrowerThan: %s', (_name, a, b, expected) => {
    expect(maskIsNarrowerThan(maskOf(a as number[]), maskOf(b as number[]))).toBe(expected);
  });
});
