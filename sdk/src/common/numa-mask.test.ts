import { describe, expect, it } from 'vitest';
import { forEachMask, maskCount, maskHas, maskIds, maskOf } from './numa-mask.js';

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
});
