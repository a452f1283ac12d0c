import type { ProviderHints } from '@kernelet/sdk/common';
import type { ClosureStrategy } from './and-closure.js';
import { createPolicy } from './create-policy.js';
import type { NUMAInfo } from './numa-info.js';
import type { MergeResult, PolicyName } from './policy.js';
import { DEFAULT_POLICY_OPTIONS, type PolicyOptions } from './policy-options.js';
import { TopologyConfigError } from './topology-config-error.js';

export interface MergeHintsConfig {
  policy: PolicyName;
  numa: NUMAInfo;
  options?: PolicyOptions;
  /** Pins how non-preferred affinities are gathered (tests, benchmarks); 'auto' by default. */
  strategy?: ClosureStrategy;
}

/**
 * The topology manager's decision for one set of provider hints (one container, or
 * one pod under the pod scope): the best hint under the policy and whether it admits.
 * Pure; the same function behind admission and `kernelet topology merge`.
 */
export function mergeHints(providersHints: readonly ProviderHints[], config: MergeHintsConfig): MergeResult {
  const options = config.options ?? DEFAULT_POLICY_OPTIONS;
  assertDistancesFor(config.numa, options);
  return createPolicy(config.policy, config.numa, options, config.strategy).merge(providersHints);
}

/**
 * prefer-closest-numa-nodes needs a distance between every two nodes; upstream refuses
 * to start without them whatever the policy, and so does kernelet.
 */
export function assertDistancesFor(numa: NUMAInfo, options: PolicyOptions): void {
  if (!options.preferClosestNUMA) return;
  const missing = numa.missingDistance();
  if (missing !== undefined)
    throw new TopologyConfigError(
      'topologyManagerPolicyOptions[prefer-closest-numa-nodes]',
      'true',
      `needs NUMA distances, but there is none from node ${missing.from} to node ${missing.to}`,
    );
}
