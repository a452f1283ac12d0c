import { join } from 'node:path';
import { ContainerModule, type Container } from 'inversify';
import type { v1alpha1 } from '@kernelet/proto';
import { AgentContainer, Startable } from '../agent/lifecycle.js';
import { Machine, NodeName } from '../agent/node-facts.js';
import { machineInfoToJSON } from '@kernelet/sdk/common';
import { AgentOptions } from '../config/agent-options.js';
import { serializeKubeletConfiguration } from '../config/configz.js';
import { Contributions } from '../extension-points/contributions.js';
import { hostApiSocketPath } from '../host-api/host-api-socket.js';
import { Logger } from '../logging/logger.js';
import { AgentMetrics } from '../metrics/metrics.js';
import { AGENT_VERSION } from '../version.js';
import { NodeConditionSource } from '../node/node-condition-source.js';
import { PluginReadiness } from './plugin-readiness.js';
import { PluginRegistrationCondition } from './plugin-registration-condition.js';
import { PluginRegistry } from './plugin-registry.js';

/** How often the registry directory is rescanned in case a filesystem event was missed. */
export const REGISTRY_RESCAN_MS = 2000;
const CONFIGURE_TIMEOUT_MS = 10_000;

/** The configuration every plugin receives in Configure. */
export const PluginConfigureRequest = Symbol('PluginConfigureRequest');
export type PluginConfigureRequest = (pluginName: string) => v1alpha1.ConfigureRequest;

export const registryModule = new ContainerModule(({ bind }) => {
  bind<PluginConfigureRequest>(PluginConfigureRequest).toResolvedValue(
    (options: AgentOptions, nodeName: string, machine: Machine): PluginConfigureRequest => {
      const kubeletConfigJson = JSON.stringify(serializeKubeletConfiguration(options.kubelet));
      const machineJson = machine ? JSON.stringify(machineInfoToJSON(machine)) : '';
      return (pluginName) => ({
        kubeletConfigJson,
        pluginConfigJson: JSON.stringify(options.kernelet.pluginConfigs[pluginName] ?? {}),
        nodeName,
        rootDir: options.flags.rootDir,
        machineJson,
        hostEndpoint: hostApiSocketPath(options.flags.rootDir),
        callTimeoutMs: options.kernelet.pluginCallTimeoutMs,
        agentVersion: AGENT_VERSION,
        featureGates: { ...options.featureGates },
        readsPackedHints: true,
      });
    },
    [AgentOptions, NodeName, Machine],
  );
  bind(PluginRegistry)
    .toResolvedValue(
      (options: AgentOptions, root: Container, contributions: Contributions, logger: Logger, metrics: AgentMetrics, configureRequest: PluginConfigureRequest) =>
        new PluginRegistry(
          {
            dir: join(options.flags.rootDir, 'plugins_registry'),
            rescanPeriodMs: REGISTRY_RESCAN_MS,
            callTimeoutMs: options.kernelet.pluginCallTimeoutMs,
            configureTimeoutMs: Math.max(CONFIGURE_TIMEOUT_MS, options.kernelet.pluginCallTimeoutMs),
            failurePolicy: (name) => options.kernelet.pluginFailurePolicies[name] ?? 'Fail',
            configureRequest,
          },
          root,
          contributions,
          logger.child({ component: 'plugin-registry' }),
          metrics,
        ),
      [AgentOptions, AgentContainer, Contributions, Logger, AgentMetrics, PluginConfigureRequest],
    )
    .inSingletonScope();
  bind(PluginReadiness).toSelf().inSingletonScope();
  bind<NodeConditionSource>(NodeConditionSource).toResolvedValue((registry: PluginRegistry) => new PluginRegistrationCondition(registry), [PluginRegistry]);
  bind(Startable).toResolvedValue((registry: PluginRegistry): Startable => ({ name: 'plugin-registry', start: () => registry.start(), stop: () => registry.stop() }), [PluginRegistry]);
});
