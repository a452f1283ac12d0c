import { ContainerModule } from 'inversify';
import { Machine } from '../agent/node-facts.js';
import { AgentOptions } from '../config/agent-options.js';
import { Contributions } from '../extension-points/contributions.js';
import { Logger } from '../logging/logger.js';
import { topologySettingsFromKubeletConfig } from './kubelet-topology-settings.js';
import type { NUMAMachine } from './numa-info.js';
import { ResourceAllocation, TopologyAdmission } from './topology-admission.js';
import { TopologyManager } from './topology-manager.js';

/** A machine whose topology could not be read is treated as one NUMA node. */
const SINGLE_NODE: NUMAMachine = { numaNodes: [{ id: 0, distances: new Map() }] };

export const topologyModule = new ContainerModule(({ bind }) => {
  bind(TopologyManager)
    .toResolvedValue(
      (options: AgentOptions, machine: Machine, logger: Logger) => {
        const settings = topologySettingsFromKubeletConfig(options.kubelet as unknown as Record<string, unknown>);
        return new TopologyManager({
          ...settings,
          featureGates: (name) => options.featureGates[name] ?? settings.featureGates(name),
          machine: machine ?? SINGLE_NODE,
          providerTimeoutMs: options.kernelet.pluginCallTimeoutMs,
          logger,
        });
      },
      [AgentOptions, Machine, Logger],
    )
    .inSingletonScope();
  bind(ResourceAllocation)
    .toResolvedValue((manager: TopologyManager, contributions: Contributions) => new TopologyAdmission(manager, contributions), [TopologyManager, Contributions])
    .inSingletonScope();
});
