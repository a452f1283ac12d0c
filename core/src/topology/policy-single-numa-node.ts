import type { ProviderHints } from '@kernelet/sdk/common';
import { mergeFilteredHints, type MergeContext } from './hint-merger.js';
import type { NUMAInfo } from './numa-info.js';
import type { MergeResult, Policy } from './policy.js';
import { flattenProviderHints, keepSingleNumaHints } from './provider-hints.js';

/**
 * Every resource on one NUMA node, or the pod is rejected. Only preferred hints for
 * one node (or for any node) take part; prefer-closest-numa-nodes does not apply
 * (one node has no distance to weigh). A winner covering every node, which only
 * any-node hints produce (or a one-node machine), is reported as "any node" (null).
 */
export class SingleNumaNodePolicy implements Policy {
  readonly name = 'single-numa-node';
  private readonly ctx: MergeContext;

  constructor(numa: NUMAInfo, strategy: MergeContext['strategy'] = 'auto') {
    this.ctx = { numa, preferClosest: false, strategy };
  }

  merge(providersHints: readonly ProviderHints[]): MergeResult {
    const lists = keepSingleNumaHints(flattenProviderHints(providersHints));
    const merged = mergeFilteredHints(lists, this.ctx);
    const bestHint = merged.numaAffinity === this.ctx.numa.defaultMask ? { numaAffinity: null, preferred: merged.preferred } : merged;
    return { bestHint, admit: bestHint.preferred };
  }
}
