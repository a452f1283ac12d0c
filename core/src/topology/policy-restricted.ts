import type { ProviderHints } from '@kernelet/sdk/common';
import { mergeFilteredHints, type MergeContext } from './hint-merger.js';
import type { NUMAInfo } from './numa-info.js';
import type { MergeResult, Policy } from './policy.js';
import type { PolicyOptions } from './policy-options.js';
import { flattenProviderHints } from './provider-hints.js';

/** Merges like best-effort, admits only when the best merged hint is preferred. */
export class RestrictedPolicy implements Policy {
  readonly name = 'restricted';
  private readonly ctx: MergeContext;

  constructor(numa: NUMAInfo, options: PolicyOptions, strategy: MergeContext['strategy'] = 'auto') {
    this.ctx = { numa, preferClosest: options.preferClosestNUMA, strategy };
  }

  merge(providersHints: readonly ProviderHints[]): MergeResult {
    const bestHint = mergeFilteredHints(flattenProviderHints(providersHints), this.ctx);
    return { bestHint, admit: bestHint.preferred };
  }
}
