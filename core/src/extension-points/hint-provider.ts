import type { NUMAMask, Pod } from '@kernelet/sdk/common';

/** One possible placement; a null affinity means any NUMA node. */
export interface TopologyHint {
  numaAffinity: NUMAMask | null;
  preferred: boolean;
}

/**
 * A provider's hints for one resource: a list of possible placements (empty = the
 * resource cannot be placed), or null when the provider has no preference for it.
 */
export type ResourceHints = readonly TopologyHint[] | null;

/** Resource name to hints. A resource missing from the map (or an empty map) means no preference. */
export type ProviderHints = ReadonlyMap<string, ResourceHints>;

export interface ContainerAllocation {
  podUID: string;
  containerName: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  envs?: Readonly<Record<string, string>>;
  mounts?: readonly { containerPath: string; hostPath: string; readOnly: boolean }[];
  devices?: readonly { containerPath: string; hostPath: string; permissions: string }[];
  annotations?: Readonly<Record<string, string>>;
  cdiDevices?: readonly string[];
  resourceDevices?: readonly { resourceName: string; deviceIds: readonly string[]; numaAffinity: NUMAMask | null }[];
}

export type AllocateResult =
  | { ok: true; allocation: ContainerAllocation }
  | { ok: false; reason: string; message: string };

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
  listAllocations(): Promise<readonly ContainerAllocation[]>;
}
export const HintProvider = Symbol('HintProvider');
export const HINT_PROVIDER_SERVICE = 'v1alpha1.HintProvider';
