import { maskOf, type TopologyHint } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { nonPreferredCountRank, pickBestDenseMask, pickBestMask, preferredCountRank, type RankingContext } from './mask-ranking.js';
import { bitCount } from './bit-count.js';
import { NUMAInfo } from './numa-info.js';
import { FOUR_NODES, hintOf, loadFixture, numaOf, type FixtureHint, type FixtureMachine } from './testing/fixtures.js';

/** Upstream's pairwise step, answered by the ranking: which of the running best and a candidate survives. */
function survivor(current: TopologyHint | undefined, candidate: TopologyHint, best: number, ctx: RankingContext): 'current' | 'candidate' {
  if (bitCount(candidate.numaAffinity ?? 0n) === 0) return 'current';
  if (current === undefined) return 'candidate';
  if (current.preferred !== candidate.preferred) return candidate.preferred ? 'candidate' : 'current';
  if (current.numaAffinity === candidate.numaAffinity) return 'current';
  const rank = current.preferred ? preferredCountRank : (count: number) => nonPreferredCountRank(count, best);
  const winner = pickBestMask([current.numaAffinity as bigint, candidate.numaAffinity as bigint], rank, ctx);
  return winner === current.numaAffinity ? 'current' : 'candidate';
}

interface CompareCase {
  name: string;
  bestNonPreferredCount: number;
  current: FixtureHint | null;
  candidate: FixtureHint;
  expect: 'current' | 'candidate';
}

interface ClosestCase {
  name: string;
  machine: FixtureMachine;
  current: number[];
  candidate: number[];
  expect: 'current' | 'candidate';
}

describe('ranking of merged hints', () => {
  const narrowest: RankingContext = { numa: numaOf(FOUR_NODES), preferClosest: false };

  it.each(loadFixture<{ cases: CompareCase[] }>('compare-merged-hints.json').cases)('$name', (c) => {
    const current = c.current === null ? undefined : hintOf(c.current);
    expect(survivor(current, hintOf(c.candidate), c.bestNonPreferredCount, narrowest)).toBe(c.expect);
  });

  it.each(loadFixture<{ cases: ClosestCase[] }>('closest-mask.json').cases)('prefer-closest: $name', (c) => {
    const ctx = { numa: numaOf(c.machine), preferClosest: true };
    const winner = pickBestMask([maskOf(c.current), maskOf(c.candidate)], preferredCountRank, ctx);
    expect(winner === maskOf(c.current) ? 'current' : 'candidate').toBe(c.expect);
  });

  it('orders non-preferred counts: the target, then below it closest first, then above it narrowest first', () => {
    const ranked = [1, 2, 3, 4, 5, 6].sort((a, b) => nonPreferredCountRank(a, 3) - nonPreferredCountRank(b, 3));
    expect(ranked).toEqual([3, 2, 1, 4, 5, 6]);
  });

  it('picks the same mask from a dense table as from a set', () => {
    const numa = new NUMAInfo([1, 4, 6], new Map([1, 4, 6].map((a) => [a, new Map([1, 4, 6].map((b) => [b, a === b ? 10 : a + b]))])));
    const present = new Uint8Array(8);
    const masks = [0b011, 0b101, 0b110, 0b001];
    for (const x of masks) present[x] = 1;
    const asMask = (x: number): bigint => [1, 4, 6].reduce((m, id, p) => ((x >>> p) & 1 ? m | (1n << BigInt(id)) : m), 0n);
    for (const preferClosest of [false, true]) {
      for (const rank of [preferredCountRank, (c: number) => nonPreferredCountRank(c, 2), (c: number) => nonPreferredCountRank(c, 3)]) {
        const ctx = { numa, preferClosest };
        expect(pickBestDenseMask(present, numa.nodes, rank, ctx)).toBe(pickBestMask(masks.map(asMask), rank, ctx));
      }
    }
  });
});
