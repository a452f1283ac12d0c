import type { ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import { bitCount } from './bit-count.js';

/** One list of alternatives per resource: the merge picks one hint from each list. */
export type HintLists = readonly (readonly TopologyHint[])[];

const NO_PREFERENCE: readonly TopologyHint[] = Object.freeze([Object.freeze({ numaAffinity: null, preferred: true })]);
const NO_PLACEMENT: readonly TopologyHint[] = Object.freeze([Object.freeze({ numaAffinity: null, preferred: false })]);

/**
 * Turns every provider's per-resource hints into lists, as upstream does before
 * merging: a provider with no resources, or a resource whose hints are null, has no
 * preference (one preferred any-node hint); a resource with an empty list cannot be
 * placed (one non-preferred any-node hint).
 */
export function flattenProviderHints(providersHints: readonly ProviderHints[]): (readonly TopologyHint[])[] {
  const lists: (readonly TopologyHint[])[] = [];
  for (const hints of providersHints) {
    if (hints.size === 0) {
      lists.push(NO_PREFERENCE);
      continue;
    }
    for (const resourceHints of hints.values()) {
      if (resourceHints === null) lists.push(NO_PREFERENCE);
      else if (resourceHints.length === 0) lists.push(NO_PLACEMENT);
      else lists.push(resourceHints);
    }
  }
  return lists;
}

/**
 * The single-numa-node policy's filter: keeps only preferred hints that name exactly
 * one node or no node at all. A list can end up empty, and then nothing can be placed.
 */
export function keepSingleNumaHints(lists: HintLists): TopologyHint[][] {
  return lists.map((list) =>
    list.filter((h) => h.preferred && (h.numaAffinity === null || bitCount(h.numaAffinity) === 1)),
  );
}

/**
 * Upstream's "best non-preferred affinity count": over all lists, the largest of each
 * list's smallest node count (lists with only any-node hints do not count). Among
 * non-preferred merged hints, one with exactly this many nodes is the best fit.
 */
export function maxOfMinAffinityCounts(lists: HintLists): number {
  let result = 0;
  for (const list of lists) {
    let min = Infinity;
    for (const h of list) if (h.numaAffinity !== null) min = Math.min(min, bitCount(h.numaAffinity));
    if (min !== Infinity && min > result) result = min;
  }
  return result;
}
