import type { NUMAMask, TopologyHint } from '@kernelet/sdk/common';
import { achievableMasks, type ClosureStrategy } from './and-closure.js';
import { nonPreferredCountRank, pickBestDenseMask, pickBestMask, preferredCountRank, type RankingContext } from './mask-ranking.js';
import { maxOfMinAffinityCounts, type HintLists } from './provider-hints.js';

export interface MergeContext extends RankingContext {
  /** How the non-preferred affinities are gathered; 'auto' unless a test pins one. */
  strategy?: ClosureStrategy;
}

/**
 * The best merged hint over the cross product of the lists, exactly as upstream's
 * HintMerger picks it, without enumerating the product.
 *
 * A merged hint is the AND of the chosen hints' masks (an any-node hint counting as
 * every node), preferred when every chosen hint is preferred and all chosen masks
 * are equal. So the preferred merged hints are: every node, when each list has a
 * preferred any-node hint; and M for each mask M that each list offers as a
 * preferred hint (or as a preferred any-node hint). They beat every non-preferred
 * hint, so they are tried first. Only when none is non-empty does the search look at
 * non-preferred hints, and then every non-empty reachable AND is one of them (were it
 * reachable by a preferred choice, a preferred hint would exist), so the reachable
 * ANDs (and-closure.ts) are exactly the candidates. Both searches use upstream's
 * ranking (mask-ranking.ts). Nothing non-empty at all gives upstream's fallback:
 * every node, not preferred.
 */
export function mergeFilteredHints(lists: HintLists, ctx: MergeContext): TopologyHint {
  const all = ctx.numa.defaultMask;
  const preferred = pickBestMask(preferredMasks(lists, all), preferredCountRank, ctx);
  if (preferred !== undefined) return { numaAffinity: preferred, preferred: true };

  const best = maxOfMinAffinityCounts(lists);
  const rank = (count: number): number => nonPreferredCountRank(count, best);
  const reachable = achievableMasks(lists, ctx.numa, ctx.strategy);
  const mask =
    reachable.kind === 'sparse'
      ? pickBestMask(reachable.masks, rank, ctx)
      : pickBestDenseMask(reachable.present, reachable.positions, rank, ctx);
  return { numaAffinity: mask ?? all, preferred: false };
}

/** Affinities of the preferred merged hints (possibly empty masks, which never win). */
function preferredMasks(lists: HintLists, all: NUMAMask): Set<NUMAMask> {
  const anyNode = lists.map((list) => list.some((h) => h.preferred && h.numaAffinity === null));
  const offered = lists.map((list) => {
    const masks = new Set<NUMAMask>();
    for (const h of list) if (h.preferred && h.numaAffinity !== null) masks.add(h.numaAffinity);
    return masks;
  });
  const result = new Set<NUMAMask>();
  if (anyNode.every(Boolean)) result.add(all);
  // A candidate M must be offered by every list without a preferred any-node hint:
  // walk the smallest such list, or all offers when every list has one.
  let seed: Set<NUMAMask> | undefined;
  offered.forEach((masks, i) => {
    if (!anyNode[i] && (seed === undefined || masks.size < seed.size)) seed = masks;
  });
  const seeds: Iterable<NUMAMask> = seed ?? offered.flatMap((masks) => [...masks]);
  for (const m of seeds) {
    if (offered.every((masks, i) => anyNode[i] || masks.has(m))) result.add(m & all);
  }
  return result;
}
