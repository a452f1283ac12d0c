import type { Container, Pod, ProviderHints, TopologyHint } from '@kernelet/sdk/common';

import { POLICY_NONE } from '../config.js';
import type { PlacedAssignments } from '../state/machine-state.js';
import type { Block, NUMANodeMap, State, StateReader } from '../state/memory-state.js';
import { NO_PREFERENCE, type Policy } from './policy.js';

/** Memory management off: no hints, no placement; containers may use every NUMA node. */
export class NonePolicy implements Policy {
  readonly name = POLICY_NONE;

  initialMachineState(): NUMANodeMap {
    return new Map();
  }

  expectedMachineState(): PlacedAssignments {
    return { state: new Map(), conflicts: [] };
  }

  topologyHints(_state: StateReader, _pod: Pod, _container: Container): ProviderHints {
    return NO_PREFERENCE;
  }

  podTopologyHints(_state: StateReader, _pod: Pod): ProviderHints {
    return NO_PREFERENCE;
  }

  allocate(_state: State, _pod: Pod, _container: Container, _hint: TopologyHint): void {}

  removeContainer(_state: State, _podUID: string, _containerName: string): void {}

  allocatableMemory(_state: StateReader): Block[] {
    return [];
  }
}
