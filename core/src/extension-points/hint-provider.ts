import type { AllocateResult, AllocationList, Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';

export type { AllocateResult, AllocationList, ContainerAllocation, ProviderHints, ResourceHints, SharedAllocation, TopologyHint } from '@kernelet/sdk/common';

/**
 * A resource manager taking part in NUMA-aware placement.
 *
 * Failure policy: a provider that errors or misses its deadline while the topology
 * manager admits a pod makes that pod's admission fail (UnexpectedAdmissionError);
 * a pod is never placed as if the provider had no preference.
 */
export interface HintProvider {
  readonly name: string;
  /** Hints for one container (scope "container"). */
  getTopologyHints(pod: Pod, containerName: string): Promise<ProviderHints>;
  /** Hints for the whole pod (scope "pod"). */
  getPodTopologyHints(pod: Pod): Promise<ProviderHints>;
  /** Reserves resources under the chosen hint. Idempotent per container. */
  allocate(pod: Pod, containerName: string, hint: TopologyHint): Promise<AllocateResult>;
  removeContainer(podUID: string, containerName: string): Promise<void>;
  /** Everything handed out, plus what containers without an allocation of their own get. */
  listAllocations(): Promise<AllocationList>;
}
export const HintProvider = Symbol('HintProvider');
export const HINT_PROVIDER_SERVICE = 'v1alpha1.HintProvider';
