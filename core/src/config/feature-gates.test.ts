import { describe, expect, it } from 'vitest';
import { checkFeatureGates, FeatureGates, KNOWN_FEATURE_GATES, parseFeatureGateList, type FeatureSpec } from './feature-gates.js';

describe('feature gates', () => {
  it('every known gate has a stage, and only GA or deprecated gates are locked', () => {
    for (const [name, spec] of Object.entries(KNOWN_FEATURE_GATES)) {
      expect(['ALPHA', 'BETA', 'GA', 'DEPRECATED'], name).toContain(spec.stage);
      if (spec.lockToDefault === true) expect(['GA', 'DEPRECATED'], name).toContain(spec.stage);
      if (spec.stage === 'ALPHA') expect(spec.default, name).toBe(false);
    }
  });

  it.each<[string, Record<string, boolean>, string, boolean]>([
    ['defaults', {}, 'MemoryQoS', false],
    ['explicit', { MemoryQoS: true }, 'MemoryQoS', true],
    ['AllAlpha turns alpha gates on', { AllAlpha: true }, 'MemoryQoS', true],
    ['AllAlpha leaves beta gates', { AllAlpha: true }, 'NodeLogQuery', false],
    ['explicit beats AllAlpha', { AllAlpha: true, MemoryQoS: false }, 'MemoryQoS', false],
    ['AllBeta=false turns beta gates off', { AllBeta: false }, 'GracefulNodeShutdown', false],
    ['AllBeta leaves locked GA gates', { AllBeta: false }, 'KubeletTracing', true],
    ['unknown gates are off', {}, 'NoSuchGate', false],
  ])('%s', (_name, explicit, gate, value) => {
    expect(FeatureGates.fromMap(explicit).enabled(gate)).toBe(value);
  });

  it('reports unknown and locked gates as errors, GA gates as warnings', () => {
    expect(checkFeatureGates({ Bogus: true, KubeletTracing: false, DynamicResourceAllocation: true, MemoryQoS: true })).toEqual([
      { gate: 'Bogus', severity: 'error', message: 'unknown feature gate "Bogus"' },
      { gate: 'KubeletTracing', severity: 'error', message: 'cannot set feature gate KubeletTracing to false, it is locked to true (GA)' },
      { gate: 'DynamicResourceAllocation', severity: 'warning', message: 'setting GA feature gate DynamicResourceAllocation=true; it will be removed in a future release' },
    ]);
  });

  it.each<[string, FeatureSpec]>([
    ['EventedPLEG', { default: false, stage: 'ALPHA' }],
    ['KubeletCgroupDriverFromCRI', { default: true, stage: 'GA', lockToDefault: true }],
    ['TopologyManagerPolicyOptions', { default: true, stage: 'GA' }],
    ['DynamicResourceAllocation', { default: true, stage: 'GA' }],
    ['NodeSwap', { default: true, stage: 'GA', lockToDefault: true }],
    ['KubeletTracing', { default: true, stage: 'GA', lockToDefault: true }],
    ['QOSReserved', { default: false, stage: 'ALPHA' }],
    ['KubeletPSI', { default: true, stage: 'BETA' }],
    ['InPlacePodVerticalScaling', { default: true, stage: 'BETA' }],
    ['InPlacePodVerticalScalingExclusiveCPUs', { default: false, stage: 'ALPHA' }],
    ['InPlacePodVerticalScalingExclusiveMemory', { default: false, stage: 'ALPHA' }],
    ['KubeletPodResourcesGet', { default: true, stage: 'BETA' }],
    ['KubeletPodResourcesDynamicResources', { default: true, stage: 'BETA' }],
    ['KubeletPodResourcesListUseActivePods', { default: true, stage: 'DEPRECATED' }],
    ['ImageVolume', { default: false, stage: 'BETA' }],
    ['ImageMaximumGCAge', { default: true, stage: 'BETA' }],
    ['ProcMountType', { default: true, stage: 'BETA' }],
    ['SupplementalGroupsPolicy', { default: true, stage: 'BETA' }],
    ['SystemdWatchdog', { default: true, stage: 'BETA' }],
    ['RecursiveReadOnlyMounts', { default: true, stage: 'GA', lockToDefault: true }],
    ['KubeletCrashLoopBackOffMax', { default: false, stage: 'ALPHA' }],
    ['KubeletEnsureSecretPulledImages', { default: false, stage: 'ALPHA' }],
    ['ContainerStopSignals', { default: false, stage: 'ALPHA' }],
    ['ResourceHealthStatus', { default: false, stage: 'ALPHA' }],
    ['ReloadKubeletServerCertificateFile', { default: true, stage: 'BETA' }],
    ['PodAndContainerStatsFromCRI', { default: false, stage: 'ALPHA' }],
    ['MemoryManager', { default: true, stage: 'GA', lockToDefault: true }],
    ['SidecarContainers', { default: true, stage: 'GA', lockToDefault: true }],
    ['ContextualLogging', { default: true, stage: 'BETA' }],
    ['WatchListClient', { default: false, stage: 'BETA' }],
    ['APIServerTracing', { default: true, stage: 'GA', lockToDefault: true }],
  ])('%s has its v1.34 default, stage and lock', (gate, spec) => {
    expect(KNOWN_FEATURE_GATES[gate]).toEqual(spec);
  });

  it.each<[string, Record<string, boolean>, { gate: string; severity: 'error' | 'warning'; message: RegExp }[], Record<string, boolean>]>([
    ['an alpha gate turned on', { QOSReserved: true }, [], { QOSReserved: true }],
    ['a beta gate turned off', { KubeletPSI: false }, [], { KubeletPSI: false }],
    ['AllAlpha reaches EventedPLEG (alpha)', { AllAlpha: true }, [], { EventedPLEG: true, KubeletPSI: true }],
    ['AllBeta does not reach EventedPLEG', { AllBeta: true }, [], { EventedPLEG: false, ImageVolume: true }],
    ['a locked GA gate set to its default warns', { KubeletCgroupDriverFromCRI: true }, [{ gate: 'KubeletCgroupDriverFromCRI', severity: 'warning', message: /GA feature gate KubeletCgroupDriverFromCRI=true/ }], { KubeletCgroupDriverFromCRI: true }],
    ['a locked GA gate set against its default is an error', { KubeletCgroupDriverFromCRI: false }, [{ gate: 'KubeletCgroupDriverFromCRI', severity: 'error', message: /^cannot set feature gate KubeletCgroupDriverFromCRI to false, it is locked to true/ }], { KubeletCgroupDriverFromCRI: true }],
    ['an unlocked GA gate turned off warns and is off', { TopologyManagerPolicyOptions: false }, [{ gate: 'TopologyManagerPolicyOptions', severity: 'warning', message: /GA feature gate TopologyManagerPolicyOptions=false; it will be removed/ }], { TopologyManagerPolicyOptions: false }],
    ['a deprecated gate warns', { KubeletPodResourcesListUseActivePods: false }, [{ gate: 'KubeletPodResourcesListUseActivePods', severity: 'warning', message: /DEPRECATED feature gate KubeletPodResourcesListUseActivePods=false/ }], { KubeletPodResourcesListUseActivePods: false }],
    ['a locked deprecated gate cannot change', { WatchFromStorageWithoutResourceVersion: true }, [{ gate: 'WatchFromStorageWithoutResourceVersion', severity: 'error', message: /locked to false/ }], {}],
    ['a gate removed before v1.34 is unknown', { DevicePluginCDIDevices: true }, [{ gate: 'DevicePluginCDIDevices', severity: 'error', message: /^unknown feature gate "DevicePluginCDIDevices"$/ }], {}],
    ['a gate added after v1.34 is unknown', { ImageVolumeWithDigest: true }, [{ gate: 'ImageVolumeWithDigest', severity: 'error', message: /^unknown feature gate/ }], {}],
    ['a misspelt gate is named with a suggestion', { kubeletpsi: true }, [{ gate: 'kubeletpsi', severity: 'error', message: /^unknown feature gate "kubeletpsi" \(did you mean "KubeletPSI"\?\)$/ }], {}],
  ])('setting gates: %s', (_name, values, issues, effective) => {
    const found = checkFeatureGates(values);
    expect(found).toHaveLength(issues.length);
    issues.forEach((want, i) => {
      expect(found[i]).toMatchObject({ gate: want.gate, severity: want.severity });
      expect(found[i]?.message).toMatch(want.message);
    });
    const gates = FeatureGates.fromMap(values);
    for (const [gate, on] of Object.entries(effective)) expect(gates.enabled(gate), gate).toBe(on);
  });

  it('parses the --feature-gates syntax', () => {
    expect(parseFeatureGateList('A=true, B=false,C=1')).toEqual({ values: { A: true, B: false, C: true }, errors: [] });
    expect(parseFeatureGateList('A').errors).toHaveLength(1);
  });
});
