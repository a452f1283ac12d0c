import { CPUSet, type Container, type Pod, type ProviderHints, type TopologyHint } from '@kernelet/sdk/common';
import type { State } from '../state/state.js';
import type { CPUTopology } from '../topology/cpu-topology.js';
import type { Policy } from './policy.js';

export const POLICY_NONE = 'none';

/**
 * The default policy: no exclusive CPUs, no hints. Containers keep whatever
 * cpuset the runtime gives them (all CPUs), and the CFS quota limits their use.
 */
export class NonePolicy implements Policy {
  readonly name = POLICY_NONE;

  constructor(private readonly topo: CPUTopology) {}

  start(_state: State): void {}

  allocate(_state: State, _pod: Pod, _container: Container, _hint: TopologyHint | null): void {}

  removeContainer(_state: State, _podUID: string, _containerName: string): void {}

  getTopologyHints(_state: State, _pod: Pod, _container: Container): ProviderHints {
    return new Map();
  }

  getPodTopologyHints(_state: State, _pod: Pod): ProviderHints {
    return new Map();
  }

  sharedPool(_state: State): CPUSet {
    return this.topo.all;
  }

  allocatableCPUs(): CPUSet {
    return CPUSet.EMPTY;
  }
}
