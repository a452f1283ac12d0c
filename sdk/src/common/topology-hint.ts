import type { NUMAMask } from './numa-mask.js';

/**
 * The vocabulary of NUMA-aware placement, shared by the agent's topology manager and
 * the resource-manager plugins (the wire form is kernelet.v1alpha1.TopologyHint).
 */

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

/** What a container gets from a resource manager; the agent applies it when it creates the container. */
export interface ContainerAllocation {
  podUID: string;
  containerName: string;
  /** cpuset list format, e.g. "2-3,6". */
  cpusetCpus?: string;
  cpusetMems?: string;
  envs?: Readonly<Record<string, string>>;
  mounts?: readonly { containerPath: string; hostPath: string; readOnly: boolean }[];
  devices?: readonly { containerPath: string; hostPath: string; permissions: string }[];
  annotations?: Readonly<Record<string, string>>;
  cdiDevices?: readonly string[];
  resourceDevices?: readonly { resourceName: string; deviceIds: readonly string[]; numaAffinity: NUMAMask | null }[];
}

/** What every container without an allocation of its own gets from a provider (e.g. the shared CPU pool). */
export type SharedAllocation = Omit<ContainerAllocation, 'podUID' | 'containerName'>;

/** Everything a provider has handed out, and the shared allocation (null when it has none). */
export interface AllocationList {
  allocations: readonly ContainerAllocation[];
  shared: SharedAllocation | null;
}

export type AllocateResult =
  | { ok: true; allocation: ContainerAllocation }
  | { ok: false; reason: string; message: string };
