import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const MetricsRegistry = Symbol('MetricsRegistry');

/** The agent's own metrics, registered once per agent (tests run several agents in one process). */
export class AgentMetrics {
  readonly pluginCallDuration: Histogram<'plugin' | 'service' | 'method' | 'code'>;
  readonly pluginCallFailures: Counter<'plugin' | 'service' | 'method' | 'code'>;
  readonly pluginRegistrations: Counter<'result'>;
  readonly registeredPlugins: Gauge;

  constructor(readonly registry: Registry) {
    this.pluginCallDuration = new Histogram({
      name: 'kernelet_plugin_call_duration_seconds',
      help: 'Duration of calls from the agent into plugins, by plugin, service, method and gRPC status code.',
      labelNames: ['plugin', 'service', 'method', 'code'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.pluginCallFailures = new Counter({
      name: 'kernelet_plugin_call_failures_total',
      help: 'Calls into plugins that failed or missed their deadline, by plugin, service, method and gRPC status code.',
      labelNames: ['plugin', 'service', 'method', 'code'],
      registers: [registry],
    });
    this.pluginRegistrations = new Counter({
      name: 'kernelet_plugin_registrations_total',
      help: 'Plugin registration attempts by result (registered, rejected, failed).',
      labelNames: ['result'],
      registers: [registry],
    });
    this.registeredPlugins = new Gauge({
      name: 'kernelet_registered_plugins',
      help: 'Plugins currently registered and bound.',
      registers: [registry],
    });
  }
}
