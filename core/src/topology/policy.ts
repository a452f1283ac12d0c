import type { ProviderHints, TopologyHint } from '@kernelet/sdk/common';

/** The topologyManagerPolicy values, as upstream spells them. */
export const POLICY_NAMES = ['none', 'best-effort', 'restricted', 'single-numa-node'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(value: string): value is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(value);
}

export interface MergeResult {
  bestHint: TopologyHint;
  /** False: the pod is rejected with TopologyAffinityError. */
  admit: boolean;
}

/**
 * A topology manager policy: merges the providers' hints for one container (or one
 * pod) into the hint the providers allocate under, and says whether it is good
 * enough to admit. Pure: no I/O, no state.
 */
export interface Policy {
  readonly name: PolicyName;
  merge(providersHints: readonly ProviderHints[]): MergeResult;
}
