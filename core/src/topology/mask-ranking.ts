import type { NUMAMask } from '@kernelet/sdk/common';
import { maskIds } from '@kernelet/sdk/common';
import { bitCount, popcount32 } from './bit-count.js';
import type { NUMAInfo } from './numa-info.js';

/**
 * How the topology manager ranks merged hints, restated as a total order.
 *
 * Upstream keeps a running best and replaces it pairwise (HintMerger.compare). Every
 * branch of that comparison agrees with one ranking of (preferred, mask) pairs, so
 * the winner is the maximum of that ranking whatever order the hints come in:
 *
 *  1. any preferred hint beats any non-preferred one;
 *  2. a rank from the node count: for preferred hints, fewer nodes is better; for
 *     non-preferred ones, exactly `best` nodes (the best non-preferred affinity
 *     count) is best, then fewer than `best` (closer to it first), then more than
 *     `best` (fewer first);
 *  3. with equal counts, with prefer-closest-numa-nodes (never for single-numa-node),
 *     the smaller average distance;
 *  4. then the smaller mask as a binary number (upstream's IsLessThan).
 */
export interface RankingContext {
  numa: NUMAInfo;
  /** prefer-closest-numa-nodes, already dropped for the single-numa-node policy. */
  preferClosest: boolean;
}

/** Rank from the node count of a preferred merged hint: lower ranks win. */
export function preferredCountRank(count: number): number {
  return count;
}

/** Rank from the node count of a non-preferred merged hint: lower ranks win. */
export function nonPreferredCountRank(count: number, best: number): number {
  if (count === best) return 0;
  if (count < best) return 1 + (best - count);
  return 2 + best + count;
}

/** The best mask among candidates under steps 2-4 (the caller has settled step 1); undefined if none is non-empty. */
export function pickBestMask(candidates: Iterable<NUMAMask>, countRank: (count: number) => number, ctx: RankingContext): NUMAMask | undefined {
  let best: NUMAMask | undefined;
  let bestRank = Infinity;
  let bestAverage = Number.NaN;
  for (const mask of candidates) {
    if (mask === 0n) continue;
    const rank = countRank(bitCount(mask));
    if (rank > bestRank) continue;
    if (rank < bestRank || best === undefined) {
      best = mask;
      bestRank = rank;
      bestAverage = Number.NaN;
      continue;
    }
    if (ctx.preferClosest) {
      if (Number.isNaN(bestAverage)) bestAverage = ctx.numa.averageDistance(best);
      const average = ctx.numa.averageDistance(mask);
      if (average !== bestAverage) {
        if (average < bestAverage) {
          best = mask;
          bestAverage = average;
        }
        continue;
      }
    }
    if (mask < best) {
      best = mask;
      bestAverage = Number.NaN;
    }
  }
  return best;
}

/**
 * pickBestMask over a dense membership table: index x stands for the mask whose bit p
 * is node positions[p] (positions ascending, so comparing indexes compares masks).
 */
export function pickBestDenseMask(
  present: Uint8Array,
  positions: readonly number[],
  countRank: (count: number) => number,
  ctx: RankingContext,
): NUMAMask | undefined {
  let bestRank = Infinity;
  for (let x = 1; x < present.length; x++) {
    if (present[x] === 0) continue;
    const rank = countRank(popcount32(x));
    if (rank < bestRank) bestRank = rank;
  }
  if (bestRank === Infinity) return undefined;
  let best = -1;
  let bestAverage = Infinity;
  for (let x = 1; x < present.length; x++) {
    if (present[x] === 0 || countRank(popcount32(x)) !== bestRank) continue;
    if (!ctx.preferClosest) {
      best = x;
      break;
    }
    const average = ctx.numa.averageDistanceOfIds(idsOfIndex(x, positions));
    if (average < bestAverage) {
      best = x;
      bestAverage = average;
    }
  }
  return maskOfIndex(best, positions);
}

export function idsOfIndex(x: number, positions: readonly number[]): number[] {
  const ids: number[] = [];
  for (let p = 0; p < positions.length; p++) if ((x >>> p) & 1) ids.push(positions[p] as number);
  return ids;
}

export function maskOfIndex(x: number, positions: readonly number[]): NUMAMask {
  let mask = 0n;
  for (const id of idsOfIndex(x, positions)) mask |= 1n << BigInt(id);
  return mask;
}

/** The ids of a mask, for logs. */
export function describeMask(mask: NUMAMask | null): string {
  return mask === null ? 'any' : `[${maskIds(mask).join(',')}]`;
}
