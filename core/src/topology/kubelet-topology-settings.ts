import { defaultFeatureGates, type FeatureGateLookup } from './policy-options.js';
import type { TopologyManagerConfig } from './topology-manager.js';
import { TopologyConfigError } from './topology-config-error.js';

export type TopologySettings = Required<Pick<TopologyManagerConfig, 'policy' | 'scope' | 'policyOptions' | 'featureGates'>>;

/**
 * The topology manager's settings from a KubeletConfiguration (JSON field names):
 * topologyManagerPolicy (default none), topologyManagerScope (default container),
 * topologyManagerPolicyOptions and featureGates. Only shapes are checked here; the
 * TopologyManager constructor checks the values.
 */
export function topologySettingsFromKubeletConfig(kubelet: Readonly<Record<string, unknown>>): TopologySettings {
  const policy = kubelet['topologyManagerPolicy'] ?? 'none';
  if (typeof policy !== 'string') throw new TopologyConfigError('topologyManagerPolicy', policy, 'must be a string');
  const scope = kubelet['topologyManagerScope'] ?? 'container';
  if (typeof scope !== 'string') throw new TopologyConfigError('topologyManagerScope', scope, 'must be a string');
  const policyOptions = stringMap(kubelet['topologyManagerPolicyOptions'], 'topologyManagerPolicyOptions');
  const gates = kubelet['featureGates'] ?? {};
  if (!isObject(gates)) throw new TopologyConfigError('featureGates', gates, 'must be a map of feature gate names to true or false');
  for (const [name, enabled] of Object.entries(gates)) {
    if (typeof enabled !== 'boolean') throw new TopologyConfigError(`featureGates[${name}]`, enabled, 'must be true or false');
  }
  const featureGates: FeatureGateLookup = (name) => (typeof gates[name] === 'boolean' ? (gates[name] as boolean) : defaultFeatureGates(name));
  return { policy, scope, policyOptions, featureGates };
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new TopologyConfigError(field, value, 'must be a map of option names to string values');
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TopologyConfigError(`${field}[${key}]`, v, `must be a string, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
