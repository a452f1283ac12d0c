import 'reflect-metadata';
import { hostname } from 'node:os';
import { Container, ContainerModule, type ServiceIdentifier } from 'inversify';
import { Registry } from 'prom-client';
import { admissionModule } from '../admission/admission-module.js';
import { AgentOptions } from '../config/agent-options.js';
import { Contributions } from '../extension-points/contributions.js';
import { hostApiModule } from '../host-api/host-api-module.js';
import { httpModule } from '../http/http-module.js';
import { Logger } from '../logging/logger.js';
import { AgentMetrics, MetricsRegistry } from '../metrics/metrics.js';
import { registryModule } from '../plugin-registry/registry-module.js';
import { PluginProcessOutput } from '../supervisor/plugin-supervisor.js';
import { supervisorModule } from '../supervisor/supervisor-module.js';
import { topologyModule } from '../topology/topology-module.js';
import { criModule } from '../cri/cri-module.js';
import { nodeModule } from '../node/node-module.js';
import { plegModule } from '../pleg/pleg-module.js';
import { effectivePlugins } from '../pods/pod-source-plugins.js';
import { podsModule } from '../pods/pods-module.js';
import { AgentContainer, Startable } from './lifecycle.js';
import { Machine, NodeName } from './node-facts.js';

/**
 * What decides whether and where a pod may run: the node's allocatable, admission, the
 * topology manager, and the plugins behind them. Nothing here touches containers, so
 * `kernelet simulate` runs just this.
 */
export const ADMISSION_MODULES: readonly ContainerModule[] = [topologyModule, nodeModule, admissionModule, hostApiModule, registryModule, supervisorModule];

/**
 * The agent's features, in start order: admission and the plugins first, then the runtime,
 * the PLEG (its first relist tells the pod workers what already runs) and the pod loop, then
 * the listener. They stop in reverse; running pods keep running when the agent stops.
 */
export const FEATURE_MODULES: readonly ContainerModule[] = [...ADMISSION_MODULES, criModule, plegModule, podsModule, httpModule];

export interface AgentDependencies {
  logger: Logger;
  machine?: Machine;
  /** The features to load (default: all of them, FEATURE_MODULES). */
  modules?: readonly ContainerModule[];
  /** Where supervised plugin processes write their logs (default: the agent's stdout). */
  pluginOutput?: PluginProcessOutput;
}

/** A node agent: the container of its features, started and stopped as one. */
export class Agent {
  private started: Startable[] = [];

  constructor(readonly container: Container) {}

  get<T>(id: ServiceIdentifier<T>): T {
    return this.container.get<T>(id);
  }

  async start(): Promise<void> {
    const logger = this.container.get<Logger>(Logger);
    for (const part of this.container.getAll<Startable>(Startable)) {
      try {
        await part.start();
      } catch (error) {
        logger.error({ component: part.name, err: (error as Error).message }, 'agent component failed to start');
        await this.stop();
        throw error;
      }
      this.started.push(part);
    }
    logger.info({ components: this.started.map((p) => p.name) }, 'agent started');
  }

  async stop(): Promise<void> {
    const logger = this.container.get<Logger>(Logger);
    for (const part of this.started.reverse()) {
      try {
        await part.stop();
      } catch (error) {
        logger.error({ component: part.name, err: (error as Error).message }, 'agent component failed to stop');
      }
    }
    this.started = [];
  }
}

export function createAgent(configured: AgentOptions, dependencies: AgentDependencies): Agent {
  const modules = dependencies.modules ?? FEATURE_MODULES;
  let options = configured;
  if (modules.includes(podsModule)) {
    // An agent that runs pods runs the pod sources its configuration names.
    options = { ...configured, kernelet: { ...configured.kernelet, plugins: effectivePlugins(configured) } };
  }
  const container = new Container({ defaultScope: 'Singleton' });
  const registry = new Registry();
  const nodeName = (options.flags.hostnameOverride ?? hostname()).trim().toLowerCase();
  container.load(
    new ContainerModule(({ bind }) => {
      bind(AgentContainer).toConstantValue(container);
      bind(AgentOptions).toConstantValue(options);
      bind(Logger).toConstantValue(dependencies.logger);
      bind(MetricsRegistry).toConstantValue(registry);
      bind(AgentMetrics).toConstantValue(new AgentMetrics(registry));
      bind(NodeName).toConstantValue(nodeName);
      bind(Machine).toConstantValue(dependencies.machine ?? null);
      bind(Contributions).toConstantValue(new Contributions(container));
      if (dependencies.pluginOutput) bind(PluginProcessOutput).toConstantValue(dependencies.pluginOutput);
    }),
    ...modules,
  );
  return new Agent(container);
}
