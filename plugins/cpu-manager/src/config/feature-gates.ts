import { CpuManagerConfigError } from '../errors.js';

/** The feature gates the CPU manager reads, with their defaults in Kubernetes 1.35. */
export const CPU_MANAGER_FEATURE_GATES = {
  /** GA and locked on since 1.33: options may always be given. */
  CPUManagerPolicyOptions: { default: true, lockedTo: true as boolean | undefined },
  /** Beta, on by default: shows beta-level options. */
  CPUManagerPolicyBetaOptions: { default: true, lockedTo: undefined as boolean | undefined },
  /** Alpha, off by default: shows alpha-level options. */
  CPUManagerPolicyAlphaOptions: { default: false, lockedTo: undefined as boolean | undefined },
  /** Beta, on by default since 1.34: the static policy skips pods that set pod-level resources. */
  PodLevelResources: { default: true, lockedTo: undefined as boolean | undefined },
} as const;

export type CpuManagerFeatureGate = keyof typeof CPU_MANAGER_FEATURE_GATES;

export type FeatureGates = Readonly<Record<CpuManagerFeatureGate, boolean>>;

/**
 * The CPU manager's gates from the configuration's `featureGates` map. Gates the
 * CPU manager does not read are left to the agent's configuration loader.
 */
export function parseFeatureGates(raw: unknown): FeatureGates {
  const gates: Record<CpuManagerFeatureGate, boolean> = {
    CPUManagerPolicyOptions: CPU_MANAGER_FEATURE_GATES.CPUManagerPolicyOptions.default,
    CPUManagerPolicyBetaOptions: CPU_MANAGER_FEATURE_GATES.CPUManagerPolicyBetaOptions.default,
    CPUManagerPolicyAlphaOptions: CPU_MANAGER_FEATURE_GATES.CPUManagerPolicyAlphaOptions.default,
    PodLevelResources: CPU_MANAGER_FEATURE_GATES.PodLevelResources.default,
  };
  if (raw === undefined || raw === null) return gates;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CpuManagerConfigError('featureGates', `must be a map of gate name to true|false, got ${JSON.stringify(raw)}`);
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in CPU_MANAGER_FEATURE_GATES)) continue;
    const gate = name as CpuManagerFeatureGate;
    if (typeof value !== 'boolean') {
      throw new CpuManagerConfigError(`featureGates.${gate}`, `must be true or false, got ${JSON.stringify(value)}`);
    }
    const locked = CPU_MANAGER_FEATURE_GATES[gate].lockedTo;
    if (locked !== undefined && value !== locked) {
      throw new CpuManagerConfigError(`featureGates.${gate}`, `the gate is GA and locked to ${locked}; remove it or set it to ${locked}`);
    }
    gates[gate] = value;
  }
  return gates;
}
