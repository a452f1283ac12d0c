import { describe, expect, it } from 'vitest';
import {
  ALPHA_OPTIONS_GATE,
  BETA_OPTIONS_GATE,
  DEFAULT_POLICY_OPTIONS,
  parsePolicyOptions,
  type OptionMaturity,
} from './policy-options.js';
import { TopologyConfigError } from './topology-config-error.js';

describe('topology manager policy options', () => {
  it.each([
    ['nothing set', {}, DEFAULT_POLICY_OPTIONS],
    ['prefer-closest-numa-nodes=true', { 'prefer-closest-numa-nodes': 'true' }, { preferClosestNUMA: true, maxAllowableNUMANodes: null }],
    ['Go booleans: T', { 'prefer-closest-numa-nodes': 'T' }, { preferClosestNUMA: true, maxAllowableNUMANodes: null }],
    ['Go booleans: 0', { 'prefer-closest-numa-nodes': '0' }, { preferClosestNUMA: false, maxAllowableNUMANodes: null }],
    ['max-allowable-numa-nodes at the minimum', { 'max-allowable-numa-nodes': '8' }, { preferClosestNUMA: false, maxAllowableNUMANodes: 8 }],
    ['max-allowable-numa-nodes above it, with a sign', { 'max-allowable-numa-nodes': '+64' }, { preferClosestNUMA: false, maxAllowableNUMANodes: 64 }],
  ])('accepts %s', (_name, raw, expected) => {
    expect(parsePolicyOptions(raw)).toEqual(expected);
    expect(parsePolicyOptions(new Map(Object.entries(raw)))).toEqual(expected);
  });

  it.each([
    ['an unknown option', { 'prefer-closest': 'true' }, 'topologyManagerPolicyOptions[prefer-closest]', 'unknown Topology Manager Policy option "prefer-closest"'],
    ['a non-boolean', { 'prefer-closest-numa-nodes': 'yes' }, 'topologyManagerPolicyOptions[prefer-closest-numa-nodes]', 'bad value for option "prefer-closest-numa-nodes": "yes" is not a boolean'],
    ['a non-integer', { 'max-allowable-numa-nodes': '8.5' }, 'topologyManagerPolicyOptions[max-allowable-numa-nodes]', 'unable to convert policy option "max-allowable-numa-nodes" to an integer: "8.5"'],
    ['a limit below upstream\'s', { 'max-allowable-numa-nodes': '4' }, 'topologyManagerPolicyOptions[max-allowable-numa-nodes]', 'should not be less than 8, got 4'],
  ])('refuses %s, naming the option and value', (_name, raw, field, message) => {
    let thrown: unknown;
    try {
      parsePolicyOptions(raw);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TopologyConfigError);
    expect((thrown as TopologyConfigError).field).toBe(field);
    expect((thrown as TopologyConfigError).message).toContain(message);
  });

  // Today both options are GA; the gating still works for options that are not.
  const maturity = new Map<string, OptionMaturity>([
    ['prefer-closest-numa-nodes', 'beta'],
    ['max-allowable-numa-nodes', 'alpha'],
  ]);
  it.each([
    ['beta option, beta gate on', 'prefer-closest-numa-nodes', 'true', { [BETA_OPTIONS_GATE]: true }, undefined],
    ['beta option, beta gate off', 'prefer-closest-numa-nodes', 'true', { [BETA_OPTIONS_GATE]: false }, 'Beta-level Options not enabled'],
    ['alpha option, alpha gate off', 'max-allowable-numa-nodes', '16', { [ALPHA_OPTIONS_GATE]: false }, 'Alpha-level Options not enabled'],
    ['alpha option, alpha gate on', 'max-allowable-numa-nodes', '16', { [ALPHA_OPTIONS_GATE]: true }, undefined],
  ])('gates by maturity: %s', (_name, option, value, gates: Record<string, boolean>, error) => {
    const parse = (): unknown => parsePolicyOptions({ [option]: value }, { maturity, featureGates: (name) => gates[name] ?? false });
    if (error === undefined) expect(parse).not.toThrow();
    else expect(parse).toThrow(error);
  });
});
