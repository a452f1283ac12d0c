import { describe, expect, it } from 'vitest';
import { forEachMask, maskCount, maskHas, maskIds, maskIsNarrowerThan, maskOf } from './numa-mask.js';

describe('NUMA masks', () => {
  it('converts between ids and masks, past 64 nodes', () => {
    const mask = maskOf([0, 3, 70]);
    expect(maskIds(mask)).toEqual([0, 3, 70]);
    expect(maskCount(mask)).toBe(3);
    expect(maskHas(mask, 70)).toBe(true);
    expect(maskHas(mask, 2)).toBe(false);
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
