import { defineResourceManagerPlugin } from '@kernelet/sdk';
import { CpuManager } from './cpu-manager.js';

/**
 * The CPU manager as a hint-provider plugin. Built afresh for each configuration the agent
 * sends: starting restores cpu_manager_state, and a state the configuration cannot honour
 * (another policy with pinned containers, pinned CPUs now reserved or gone) refuses the
 * registration with the remedy instead of crash-looping the agent.
 */
export const cpuManagerPlugin = defineResourceManagerPlugin({
  name: 'cpu-manager',
  create({ machine, kubeletConfig, featureGates, rootDir, logger }) {
    if (!machine) throw new Error('cpu-manager needs the machine topology, and the agent sent none (the agent log says why)');
    const manager = new CpuManager({ machine, kubeletConfig: { ...kubeletConfig, featureGates }, stateDir: rootDir, logger });
    return {
      reconcilePeriodMs: manager.reconcilePeriodMs,
      start: (activePods) => manager.start(activePods),
      getTopologyHints: (pod, containerName) => manager.getTopologyHints(pod, containerName),
      getPodTopologyHints: (pod) => manager.getPodTopologyHints(pod),
      allocate: (pod, containerName, hint) => manager.allocate(pod, containerName, hint),
      removeContainer: (podUID, containerName) => manager.removeContainer(podUID, containerName),
      removeStaleState: (activePods) => manager.removeStaleState(activePods),
      listAllocations: () => ({
        allocations: manager.listAllocations(),
        shared: manager.policy.name === 'none' ? null : { cpusetCpus: manager.sharedPool().toString() },
      }),
    };
  },
});
