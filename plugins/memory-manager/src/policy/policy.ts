import type { Container, Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';

import type { PolicyName } from '../config.js';
import type { PlacedAssignments } from '../state/machine-state.js';
import type { Block, ContainerMemoryAssignments, NUMANodeMap, State, StateReader } from '../state/memory-state.js';

/**
 * How the memory manager places containers' memory. One policy per file, named by
 * its config value (`None`, `Static`).
 *
 * Contracts:
 * - allocate is idempotent: a container that already holds memory keeps it;
 * - allocate either changes the state completely or not at all (it throws before writing);
 * - removeContainer is idempotent;
 * - hints for a container that already holds memory are regenerated from what it holds.
 */
export interface Policy {
  readonly name: PolicyName;
  /** The machine state a fresh state file starts from. */
  initialMachineState(): NUMANodeMap;
  /** The machine state that follows from recorded assignments, with conflicts (see placeAssignments). */
  expectedMachineState(entries: ContainerMemoryAssignments): PlacedAssignments;
  topologyHints(state: StateReader, pod: Pod, container: Container): ProviderHints;
  podTopologyHints(state: StateReader, pod: Pod): ProviderHints;
  /** Throws AllocationError when the container cannot be placed under the hint. */
  allocate(state: State, pod: Pod, container: Container, hint: TopologyHint): void;
  removeContainer(state: State, podUID: string, containerName: string): void;
  /** Allocatable memory per node and type (what the pod-resources API reports). */
  allocatableMemory(state: StateReader): Block[];
}

/**
 * Admission must fail: the container's memory cannot be placed. The message is upstream's
 * text for the situation (the pod's status carries it, and tools match on it); `detail`
 * says which nodes and sizes were in the way, for the log.
 */
export class AllocationError extends Error {
  override readonly name = 'AllocationError';
  constructor(
    message: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No preference: the provider does not care where the container goes. */
export const NO_PREFERENCE: ProviderHints = new Map();
