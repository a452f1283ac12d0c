import type { ConditionReport, NodeConditionSource } from '../node/node-condition-source.js';
import type { PluginRegistry } from './plugin-registry.js';

export const PLUGIN_REGISTRATION_CONDITION = 'PluginRegistrationRefused';

/**
 * Puts a plugin that refused its configuration on the node's status, where an operator
 * (and `kubectl describe node`) looks, not only in the agent's log: True with each refused
 * plugin and its remedy, False when every plugin accepted its configuration.
 */
export class PluginRegistrationCondition implements NodeConditionSource {
  constructor(private readonly registry: PluginRegistry) {}

  conditions(): readonly ConditionReport[] {
    const refused = this.registry.refusedConfigurations();
    if (refused.length === 0) {
      return [{ type: PLUGIN_REGISTRATION_CONDITION, status: 'False', reason: 'PluginsAccepted', message: 'every plugin accepted its configuration' }];
    }
    return [
      {
        type: PLUGIN_REGISTRATION_CONDITION,
        status: 'True',
        reason: 'PluginConfigurationRefused',
        message: refused.map((r) => `${r.name}: ${r.reason}`).join('; '),
      },
    ];
  }
}
