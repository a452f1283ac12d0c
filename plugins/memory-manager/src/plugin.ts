import { CPUSet, defineResourceManagerPlugin } from '@kernelet/sdk';
import { MemoryManager } from './memory-manager.js';

/**
 * The memory manager as a hint-provider plugin. Built afresh for each configuration the
 * agent sends: starting restores memory_manager_state (rebuilding the machine state when
 * the machine's memory drifted but every assignment still fits), and a state the
 * configuration cannot honour refuses the registration with the remedy.
 */
export const memoryManagerPlugin = defineResourceManagerPlugin({
  name: 'memory-manager',
  create({ machine, kubeletConfig, featureGates, rootDir, logger }) {
    if (!machine) throw new Error('memory-manager needs the machine topology, and the agent sent none (the agent log says why)');
    const manager = new MemoryManager({ machine, kubeletConfig: { ...kubeletConfig, featureGates }, stateDir: rootDir, logger });
    const allNodes = CPUSet.from(machine.numaNodes.map((n) => n.id)).toString();
    return {
      start: (activePods) => manager.start(activePods),
      getTopologyHints: (pod, containerName) => manager.getTopologyHints(pod, containerName),
      getPodTopologyHints: (pod) => manager.getPodTopologyHints(pod),
      allocate: (pod, containerName, hint) => manager.allocate(pod, containerName, hint),
      removeContainer: (podUID, containerName) => manager.removeContainer(podUID, containerName),
      removeStaleState: (activePods) => manager.removeStaleState(activePods),
      listAllocations: () => ({
        allocations: manager.policyName === 'Static' ? manager.listAllocations() : [],
        shared: manager.policyName === 'Static' ? { cpusetMems: allNodes } : null,
      }),
    };
  },
});
