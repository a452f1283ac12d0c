import { describe, expect, it } from 'vitest';
import { checkFeatureGates, FeatureGates, KNOWN_FEATURE_GATES, parseFeatureGateList } from './feature-gates.js';

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

  it('parses the --feature-gates syntax', () => {
    expect(parseFeatureGateList('A=true, B=false,C=1')).toEqual({ values: { A: true, B: false, C: true }, errors: [] });
    expect(parseFeatureGateList('A').errors).toHaveLength(1);
  });
});
