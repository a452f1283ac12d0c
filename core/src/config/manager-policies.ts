/**
 * The resource managers' settings, checked as the kubelet checks them when it builds the CPU,
 * Topology and Memory Managers: known policies, known policy options (and the feature gate
 * each option's maturity needs), option values, and options that cannot go together.
 */
import type { FeatureGates } from './feature-gates.js';
import { parseGoBool } from './feature-gates.js';
import { keyPath, type ProblemList } from './problem.js';

export const CPU_MANAGER_POLICIES = ['none', 'static'] as const;
export const TOPOLOGY_MANAGER_POLICIES = ['none', 'best-effort', 'restricted', 'single-numa-node'] as const;
export const TOPOLOGY_MANAGER_SCOPES = ['container', 'pod'] as const;
export const MEMORY_MANAGER_POLICIES = ['None', 'Static'] as const;

type Maturity = 'alpha' | 'beta' | 'stable';

interface PolicyOption {
  maturity: Maturity;
  kind: 'bool' | 'int';
  /** Smallest accepted value of an int option. */
  min?: number;
}

export const CPU_MANAGER_POLICY_OPTIONS: Readonly<Record<string, PolicyOption>> = {
  'full-pcpus-only': { maturity: 'stable', kind: 'bool' },
  'distribute-cpus-across-numa': { maturity: 'beta', kind: 'bool' },
  'align-by-socket': { maturity: 'alpha', kind: 'bool' },
  'distribute-cpus-across-cores': { maturity: 'alpha', kind: 'bool' },
  'strict-cpu-reservation': { maturity: 'beta', kind: 'bool' },
  'prefer-align-cpus-by-uncorecache': { maturity: 'beta', kind: 'bool' },
};

export const TOPOLOGY_MANAGER_POLICY_OPTIONS: Readonly<Record<string, PolicyOption>> = {
  'prefer-closest-numa-nodes': { maturity: 'stable', kind: 'bool' },
  'max-allowable-numa-nodes': { maturity: 'beta', kind: 'int', min: 8 },
};

/** Pairs of CPU Manager options the static policy refuses together. */
const CPU_OPTION_CONFLICTS: readonly (readonly [string, string])[] = [
  ['full-pcpus-only', 'distribute-cpus-across-cores'],
  ['distribute-cpus-across-numa', 'distribute-cpus-across-cores'],
  ['prefer-align-cpus-by-uncorecache', 'distribute-cpus-across-cores'],
  ['prefer-align-cpus-by-uncorecache', 'distribute-cpus-across-numa'],
];

export interface ManagerSettings {
  cpuManagerPolicy: string;
  cpuManagerPolicyOptions?: Record<string, string>;
  topologyManagerPolicy: string;
  topologyManagerScope: string;
  topologyManagerPolicyOptions?: Record<string, string>;
  memoryManagerPolicy: string;
}

export function checkManagerPolicies(settings: ManagerSettings, gates: FeatureGates, problems: ProblemList): void {
  checkOneOf('cpuManagerPolicy', settings.cpuManagerPolicy, CPU_MANAGER_POLICIES, problems);
  checkOneOf('topologyManagerPolicy', settings.topologyManagerPolicy, TOPOLOGY_MANAGER_POLICIES, problems);
  checkOneOf('topologyManagerScope', settings.topologyManagerScope, TOPOLOGY_MANAGER_SCOPES, problems, 'scope');
  checkOneOf('memoryManagerPolicy', settings.memoryManagerPolicy, MEMORY_MANAGER_POLICIES, problems);

  const cpuOptions = settings.cpuManagerPolicyOptions ?? {};
  if (Object.keys(cpuOptions).length > 0 && settings.cpuManagerPolicy === 'none') {
    problems.add('cpuManagerPolicyOptions', `the none policy takes no options, got ${Object.keys(cpuOptions).join(', ')}`);
  } else {
    const enabled = checkOptions('cpuManagerPolicyOptions', 'CPU Manager', cpuOptions, CPU_MANAGER_POLICY_OPTIONS, 'CPUManagerPolicy', gates, problems);
    for (const [a, b] of CPU_OPTION_CONFLICTS) {
      if (enabled.has(a) && enabled.has(b)) {
        problems.add(keyPath('cpuManagerPolicyOptions', b), `cannot be used together with ${a}`);
      }
    }
    if (enabled.has('align-by-socket') && settings.topologyManagerPolicy === 'single-numa-node') {
      problems.add(
        keyPath('cpuManagerPolicyOptions', 'align-by-socket'),
        'incompatible with topologyManagerPolicy "single-numa-node" (align-by-socket aligns to sockets, single-numa-node to one NUMA node)',
      );
    }
  }
  checkOptions('topologyManagerPolicyOptions', 'Topology Manager', settings.topologyManagerPolicyOptions ?? {}, TOPOLOGY_MANAGER_POLICY_OPTIONS, 'TopologyManagerPolicy', gates, problems);
}

function checkOneOf(field: string, value: string, valid: readonly string[], problems: ProblemList, what = 'policy'): void {
  if (!valid.includes(value)) {
    const caseMatch = valid.find((v) => v.toLowerCase() === value.toLowerCase());
    const hint = caseMatch === undefined ? '' : `; did you mean "${caseMatch}"?`;
    problems.add(field, `unknown ${what} "${value}" (valid: ${valid.join(', ')})${hint}`);
  }
}

/** Checks each option; returns the bool options that are on. */
function checkOptions(
  field: string,
  manager: string,
  options: Readonly<Record<string, string>>,
  known: Readonly<Record<string, PolicyOption>>,
  gatePrefix: string,
  gates: FeatureGates,
  problems: ProblemList,
): Set<string> {
  const on = new Set<string>();
  for (const [name, value] of Object.entries(options)) {
    const at = keyPath(field, name);
    const option = known[name];
    if (option === undefined) {
      problems.add(at, `unknown ${manager} policy option "${name}" (valid: ${Object.keys(known).join(', ')})`);
      continue;
    }
    if (option.maturity === 'alpha' && !gates.enabled(`${gatePrefix}AlphaOptions`)) {
      problems.add(at, `alpha-level option needs feature gate ${gatePrefix}AlphaOptions`);
    } else if (option.maturity === 'beta' && !gates.enabled(`${gatePrefix}BetaOptions`)) {
      problems.add(at, `beta-level option needs feature gate ${gatePrefix}BetaOptions`);
    }
    if (option.kind === 'bool') {
      const parsed = parseGoBool(value);
      if (parsed === undefined) problems.add(at, `invalid value "${value}" (want true or false)`);
      else if (parsed) on.add(name);
    } else {
      const parsed = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isNaN(parsed)) problems.add(at, `invalid value "${value}" (want an integer)`);
      else if (option.min !== undefined && parsed < option.min) problems.add(at, `value ${parsed} is below the minimum ${option.min}`);
    }
  }
  return on;
}
