import { TopologyConfigError } from './topology-config-error.js';

export const PREFER_CLOSEST_NUMA_NODES = 'prefer-closest-numa-nodes';
export const MAX_ALLOWABLE_NUMA_NODES = 'max-allowable-numa-nodes';

/**
 * Upstream's default limit: the kubelet refuses to run a topology manager on a machine
 * with more NUMA nodes unless max-allowable-numa-nodes raises it. Also the smallest
 * value the option takes.
 */
export const DEFAULT_MAX_ALLOWABLE_NUMA_NODES = 8;

export interface PolicyOptions {
  /** prefer-closest-numa-nodes: among equally wide masks, prefer the one with the shortest average distance. */
  preferClosestNUMA: boolean;
  /**
   * max-allowable-numa-nodes as the operator set it, or null when unset. Unset,
   * kernelet has no limit (its merge and hints do not explode with the node count);
   * set, a machine with more NUMA nodes is refused, as upstream refuses it.
   */
  maxAllowableNUMANodes: number | null;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = Object.freeze({
  preferClosestNUMA: false,
  maxAllowableNUMANodes: null,
});

/**
 * Refuses a machine with more NUMA nodes than an explicitly set max-allowable-numa-nodes,
 * with upstream's words, where upstream refuses it (creating a topology manager under a
 * policy other than none). Unset, nothing is refused.
 */
export function assertNUMANodesAllowed(options: PolicyOptions, numaNodes: number, field = `topologyManagerPolicyOptions[${MAX_ALLOWABLE_NUMA_NODES}]`): void {
  const max = options.maxAllowableNUMANodes;
  if (max === null || numaNodes <= max) return;
  throw new TopologyConfigError(
    field,
    String(max),
    `${unsupportedNUMANodesMessage(max)} (the machine has ${numaNodes}; raise ${MAX_ALLOWABLE_NUMA_NODES} or leave it unset: kernelet needs no limit)`,
  );
}

/** Upstream's refusal, word for word. */
export function unsupportedNUMANodesMessage(max: number): string {
  return `unsupported on machines with more than ${max} NUMA Nodes`;
}

export type OptionMaturity = 'alpha' | 'beta' | 'stable';

/**
 * Every topology manager policy option and its maturity, as in upstream v1.35:
 * prefer-closest-numa-nodes went GA in 1.32, max-allowable-numa-nodes in 1.35.
 */
export const TOPOLOGY_POLICY_OPTION_MATURITY: ReadonlyMap<string, OptionMaturity> = new Map([
  [PREFER_CLOSEST_NUMA_NODES, 'stable'],
  [MAX_ALLOWABLE_NUMA_NODES, 'stable'],
]);

/** Feature gate name to enabled; what `--feature-gates` resolves to. */
export type FeatureGateLookup = (name: string) => boolean;

export const ALPHA_OPTIONS_GATE = 'TopologyManagerPolicyAlphaOptions';
export const BETA_OPTIONS_GATE = 'TopologyManagerPolicyBetaOptions';

const GATE_DEFAULTS: Readonly<Record<string, boolean>> = {
  [ALPHA_OPTIONS_GATE]: false,
  [BETA_OPTIONS_GATE]: true,
};

/** The upstream defaults of the gates the topology manager reads. */
export const defaultFeatureGates: FeatureGateLookup = (name) => GATE_DEFAULTS[name] ?? false;

export interface ParsePolicyOptionsSettings {
  featureGates?: FeatureGateLookup;
  /** Defaults to TOPOLOGY_POLICY_OPTION_MATURITY; tests pass their own to exercise gating. */
  maturity?: ReadonlyMap<string, OptionMaturity>;
  /** Names the setting in errors; "topologyManagerPolicyOptions" unless told. */
  field?: string;
}

/**
 * Validates topologyManagerPolicyOptions as upstream does: unknown names, options
 * whose maturity gate is off, values that do not parse (booleans as Go's ParseBool,
 * integers as Go's Atoi) and a max-allowable-numa-nodes below 8 are refused.
 */
export function parsePolicyOptions(
  raw: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  settings: ParsePolicyOptionsSettings = {},
): PolicyOptions {
  const featureGates = settings.featureGates ?? defaultFeatureGates;
  const maturityOf = settings.maturity ?? TOPOLOGY_POLICY_OPTION_MATURITY;
  const base = settings.field ?? 'topologyManagerPolicyOptions';
  const options: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS };
  const entries = raw instanceof Map ? [...raw.entries()] : Object.entries(raw);
  for (const [name, value] of entries) {
    const field = `${base}[${name}]`;
    const maturity = maturityOf.get(name);
    if (maturity === undefined) {
      const known = [...maturityOf.keys()].join('|');
      throw new TopologyConfigError(field, name, `unknown Topology Manager Policy option "${name}" (want ${known})`);
    }
    if (maturity === 'alpha' && !featureGates(ALPHA_OPTIONS_GATE))
      throw new TopologyConfigError(field, name, `Topology Manager Policy Alpha-level Options not enabled (feature gate ${ALPHA_OPTIONS_GATE}), but option "${name}" provided`);
    if (maturity === 'beta' && !featureGates(BETA_OPTIONS_GATE))
      throw new TopologyConfigError(field, name, `Topology Manager Policy Beta-level Options not enabled (feature gate ${BETA_OPTIONS_GATE}), but option "${name}" provided`);
    switch (name) {
      case PREFER_CLOSEST_NUMA_NODES: {
        const parsed = parseGoBool(value);
        if (parsed === undefined) throw new TopologyConfigError(field, value, `bad value for option "${name}": ${JSON.stringify(value)} is not a boolean (want true|false)`);
        options.preferClosestNUMA = parsed;
        break;
      }
      case MAX_ALLOWABLE_NUMA_NODES: {
        const parsed = parseGoInt(value);
        if (parsed === undefined) throw new TopologyConfigError(field, value, `unable to convert policy option "${name}" to an integer: ${JSON.stringify(value)}`);
        if (parsed < DEFAULT_MAX_ALLOWABLE_NUMA_NODES)
          throw new TopologyConfigError(field, value, `the minimum value of "${name}" should not be less than ${DEFAULT_MAX_ALLOWABLE_NUMA_NODES}, got ${parsed}`);
        options.maxAllowableNUMANodes = parsed;
        break;
      }
      default:
        // A name in the maturity table this version cannot apply (tests add such names).
        throw new TopologyConfigError(field, value, `unsupported Topology Manager Policy option "${name}"`);
    }
  }
  return options;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseGoBool(value: string): boolean | undefined {
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return undefined;
}

function parseGoInt(value: string): number | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
