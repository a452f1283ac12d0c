import type { NUMAMask, TopologyHint } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { achievableMasks, MAX_DENSE_NODES, type AchievableMasks } from './and-closure.js';
import { maskOfIndex } from './mask-ranking.js';
import { NUMAInfo } from './numa-info.js';
import { everyMaskHints, seededRandom } from './testing/random-hints.js';

function asSet(result: AchievableMasks): Set<NUMAMask> {
  if (result.kind === 'sparse') return new Set(result.masks);
  const masks = new Set<NUMAMask>();
  result.present.forEach((v, x) => v === 1 && masks.add(maskOfIndex(x, result.positions)));
  return masks;
}

/** The reachable ANDs by brute force over the cross product. */
function bruteForce(lists: TopologyHint[][], all: NUMAMask): Set<NUMAMask> {
  let states = new Set<NUMAMask>([all]);
  for (const list of lists) {
    const next = new Set<NUMAMask>();
    for (const s of states) for (const h of list) next.add(s & (h.numaAffinity ?? all) & all);
    states = next;
  }
  states.delete(0n);
  return states;
}

describe('achievable masks', () => {
  it.each(Array.from({ length: 60 }, (_, i) => i + 1))('sparse and dense agree with brute force, seed %i', (seed) => {
    const rand = seededRandom(seed);
    const nodes = [0, 1, 2, 3, 5, 6, 9].slice(0, 2 + Math.floor(rand() * 6));
    const numa = new NUMAInfo(nodes);
    const lists: TopologyHint[][] = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
      everyMaskHints(nodes, () => true).filter(() => rand() < 0.3),
    );
    if (rand() < 0.3) lists.push([{ numaAffinity: null, preferred: true }]);
    const expected = bruteForce(lists, numa.defaultMask);
    expect(asSet(achievableMasks(lists, numa, 'sparse'))).toEqual(expected);
    expect(asSet(achievableMasks(lists, numa, 'dense'))).toEqual(expected);
    expect(asSet(achievableMasks(lists, numa, 'auto'))).toEqual(expected);
  });

  it('switches to the dense table when every mask is offered, and every mask stays reachable', () => {
    const nodes = Array.from({ length: 12 }, (_, i) => i);
    const numa = new NUMAInfo(nodes);
    const every = everyMaskHints(nodes, () => true);
    const result = achievableMasks([every, every, every, every], numa);
    expect(result.kind).toBe('dense');
    expect(asSet(result).size).toBe(2 ** 12 - 1);
  });

  it('ends empty when a list has nothing in common with the rest', () => {
    const numa = new NUMAInfo([0, 1, 2]);
    const lists = [[{ numaAffinity: 0b001n, preferred: true }], [{ numaAffinity: 0b110n, preferred: true }]];
    expect(asSet(achievableMasks(lists, numa, 'sparse')).size).toBe(0);
    expect(asSet(achievableMasks(lists, numa, 'dense')).size).toBe(0);
    expect(asSet(achievableMasks([[]], numa)).size).toBe(0);
    const nothingFirst = [[{ numaAffinity: 0b1000n, preferred: true }], [{ numaAffinity: 0b001n, preferred: true }]];
    expect(asSet(achievableMasks(nothingFirst, numa, 'dense')).size).toBe(0);
    expect(asSet(achievableMasks(nothingFirst, numa, 'sparse')).size).toBe(0);
  });

  it(`refuses a dense table past ${MAX_DENSE_NODES} nodes`, () => {
    const numa = new NUMAInfo(Array.from({ length: MAX_DENSE_NODES + 1 }, (_, i) => i));
    expect(() => achievableMasks([], numa, 'dense')).toThrow(RangeError);
  });
});
