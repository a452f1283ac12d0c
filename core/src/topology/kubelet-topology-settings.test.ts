import { describe, expect, it } from 'vitest';
import { topologySettingsFromKubeletConfig } from './kubelet-topology-settings.js';
import { TopologyConfigError } from './topology-config-error.js';
import { TopologyManager } from './topology-manager.js';

const machine = { numaNodes: [{ id: 0, distances: new Map([[0, 10]]) }] };

describe('topology settings from a KubeletConfiguration', () => {
  it('defaults to the none policy and the container scope, as the kubelet', () => {
    const settings = topologySettingsFromKubeletConfig({});
    expect(settings).toMatchObject({ policy: 'none', scope: 'container', policyOptions: {} });
    expect(settings.featureGates('TopologyManagerPolicyBetaOptions')).toBe(true);
    expect(settings.featureGates('TopologyManagerPolicyAlphaOptions')).toBe(false);
  });

  it('feeds a TopologyManager', () => {
    const settings = topologySettingsFromKubeletConfig({
      topologyManagerPolicy: 'single-numa-node',
      topologyManagerScope: 'pod',
      topologyManagerPolicyOptions: { 'max-allowable-numa-nodes': '16' },
      featureGates: { TopologyManagerPolicyAlphaOptions: true },
    });
    expect(settings.featureGates('TopologyManagerPolicyAlphaOptions')).toBe(true);
    const manager = new TopologyManager({ ...settings, machine });
    expect([manager.policy.name, manager.scope.name, manager.options.maxAllowableNUMANodes]).toEqual(['single-numa-node', 'pod', 16]);
  });

  it.each([
    ['a policy that is not a string', { topologyManagerPolicy: 3 }, 'topologyManagerPolicy'],
    ['options that are not a map', { topologyManagerPolicyOptions: ['prefer-closest-numa-nodes'] }, 'topologyManagerPolicyOptions'],
    ['an option value that is not a string', { topologyManagerPolicyOptions: { 'prefer-closest-numa-nodes': true } }, 'topologyManagerPolicyOptions[prefer-closest-numa-nodes]'],
    ['a feature gate that is not a boolean', { featureGates: { TopologyManagerPolicyBetaOptions: 'yes' } }, 'featureGates[TopologyManagerPolicyBetaOptions]'],
  ])('refuses %s', (_name, kubelet, field) => {
    expect(() => topologySettingsFromKubeletConfig(kubelet)).toThrow(TopologyConfigError);
    expect(() => topologySettingsFromKubeletConfig(kubelet)).toThrow(`${field}: `);
  });
});
