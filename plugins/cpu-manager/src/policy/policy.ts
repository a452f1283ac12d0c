import type { CPUSet, Container, Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import type { State } from '../state/state.js';

/**
 * How CPUs are assigned to containers. A policy is pure logic over a State; the
 * manager persists the state after each call. Every method is synchronous.
 */
export interface Policy {
  /** The upstream policy name, written into the state file. */
  readonly name: 'none' | 'static';
  /**
   * Checks (and, where nothing held by a container changes, repairs) the state
   * restored from disk, or initialises an empty one. Throws StateValidationError
   * when the state cannot be used as is.
   */
  start(state: State): void;
  /**
   * Reserves CPUs for the container under the NUMA affinity the topology manager
   * chose (null: any). Idempotent: a container already in the state keeps its CPUs.
   * Throws SMTAlignmentError, CPUAllocationError or another Error.
   */
  allocate(state: State, pod: Pod, container: Container, hint: TopologyHint | null): void;
  /** Releases the container's exclusive CPUs, if any, to the shared pool. */
  removeContainer(state: State, podUID: string, containerName: string): void;
  /** Hints for one container; an empty map means no preference. */
  getTopologyHints(state: State, pod: Pod, container: Container): ProviderHints;
  /** Hints for the whole pod (topology manager scope "pod"). */
  getPodTopologyHints(state: State, pod: Pod): ProviderHints;
  /** The CPUs containers without exclusive CPUs run on. */
  sharedPool(state: State): CPUSet;
  /** CPUs that may ever be assigned exclusively (all but the reserved ones). */
  allocatableCPUs(): CPUSet;
}
