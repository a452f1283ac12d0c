/**
 * The static policy's options (`cpuManagerPolicyOptions`), their maturity and the
 * feature gates that show them, as in Kubernetes 1.35.
 */
import type { FeatureGates } from '../config/feature-gates.js';
import { CpuManagerConfigError } from '../errors.js';
import type { CPUTopology } from '../topology/cpu-topology.js';

export const FULL_PCPUS_ONLY = 'full-pcpus-only';
export const DISTRIBUTE_CPUS_ACROSS_NUMA = 'distribute-cpus-across-numa';
export const ALIGN_BY_SOCKET = 'align-by-socket';
export const DISTRIBUTE_CPUS_ACROSS_CORES = 'distribute-cpus-across-cores';
export const STRICT_CPU_RESERVATION = 'strict-cpu-reservation';
export const PREFER_ALIGN_CPUS_BY_UNCORECACHE = 'prefer-align-cpus-by-uncorecache';

export type OptionMaturity = 'alpha' | 'beta' | 'stable';

/** Every option upstream knows, with its maturity. */
export const STATIC_POLICY_OPTIONS: ReadonlyMap<string, OptionMaturity> = new Map([
  [FULL_PCPUS_ONLY, 'stable'],
  [STRICT_CPU_RESERVATION, 'stable'],
  [DISTRIBUTE_CPUS_ACROSS_NUMA, 'beta'],
  [PREFER_ALIGN_CPUS_BY_UNCORECACHE, 'beta'],
  [ALIGN_BY_SOCKET, 'alpha'],
  [DISTRIBUTE_CPUS_ACROSS_CORES, 'alpha'],
]);

export interface StaticPolicyOptions {
  /** Exclusive CPUs only as whole physical cores; requests that would split one are rejected (SMTAlignmentError). */
  readonly fullPhysicalCPUsOnly: boolean;
  /** Spread a request evenly over NUMA nodes when it needs more than one. */
  readonly distributeCPUsAcrossNUMA: boolean;
  /** Treat a socket, not a NUMA node, as the unit of alignment. */
  readonly alignBySocket: boolean;
  /** Put the CPUs of a request on different physical cores where possible. */
  readonly distributeCPUsAcrossCores: boolean;
  /** Keep reserved CPUs out of the shared pool too: only system daemons run on them. */
  readonly strictCPUReservation: boolean;
  /** Refused: the machine topology kernelet passes to plugins has no uncore cache ids. */
  readonly preferAlignByUncoreCache: boolean;
}

export const DEFAULT_STATIC_POLICY_OPTIONS: StaticPolicyOptions = Object.freeze({
  fullPhysicalCPUsOnly: false,
  distributeCPUsAcrossNUMA: false,
  alignBySocket: false,
  distributeCPUsAcrossCores: false,
  strictCPUReservation: false,
  preferAlignByUncoreCache: false,
});

const FIELD = 'cpuManagerPolicyOptions';

/** Go's strconv.ParseBool, which the kubelet uses for option values. */
function parseBool(name: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new CpuManagerConfigError(`${FIELD}["${name}"]`, `bad value "${value}" (want true or false)`);
}

/**
 * Parses the options map, checking that each option exists and that its
 * maturity level is enabled by the feature gates, and that the options can be
 * combined. Options are checked in name order so the first error is stable.
 */
export function parseStaticPolicyOptions(raw: ReadonlyMap<string, string>, gates: FeatureGates): StaticPolicyOptions {
  const opts = { ...DEFAULT_STATIC_POLICY_OPTIONS };
  for (const name of [...raw.keys()].sort()) {
    const value = raw.get(name) as string;
    const maturity = STATIC_POLICY_OPTIONS.get(name);
    if (maturity === undefined) {
      throw new CpuManagerConfigError(
        `${FIELD}["${name}"]`,
        `unknown CPU Manager policy option (known: ${[...STATIC_POLICY_OPTIONS.keys()].join(', ')})`,
      );
    }
    if (maturity === 'alpha' && !gates.CPUManagerPolicyAlphaOptions) {
      throw new CpuManagerConfigError(`${FIELD}["${name}"]`, 'alpha-level option; enable the CPUManagerPolicyAlphaOptions feature gate to use it');
    }
    if (maturity === 'beta' && !gates.CPUManagerPolicyBetaOptions) {
      throw new CpuManagerConfigError(`${FIELD}["${name}"]`, 'beta-level option; the CPUManagerPolicyBetaOptions feature gate is disabled');
    }
    const on = parseBool(name, value);
    switch (name) {
      case FULL_PCPUS_ONLY:
        opts.fullPhysicalCPUsOnly = on;
        break;
      case DISTRIBUTE_CPUS_ACROSS_NUMA:
        opts.distributeCPUsAcrossNUMA = on;
        break;
      case ALIGN_BY_SOCKET:
        opts.alignBySocket = on;
        break;
      case DISTRIBUTE_CPUS_ACROSS_CORES:
        opts.distributeCPUsAcrossCores = on;
        break;
      case STRICT_CPU_RESERVATION:
        opts.strictCPUReservation = on;
        break;
      case PREFER_ALIGN_CPUS_BY_UNCORECACHE:
        opts.preferAlignByUncoreCache = on;
        break;
    }
  }

  const exclusive: [boolean, string, boolean, string][] = [
    [opts.fullPhysicalCPUsOnly, FULL_PCPUS_ONLY, opts.distributeCPUsAcrossCores, DISTRIBUTE_CPUS_ACROSS_CORES],
    [opts.distributeCPUsAcrossNUMA, DISTRIBUTE_CPUS_ACROSS_NUMA, opts.distributeCPUsAcrossCores, DISTRIBUTE_CPUS_ACROSS_CORES],
    [opts.preferAlignByUncoreCache, PREFER_ALIGN_CPUS_BY_UNCORECACHE, opts.distributeCPUsAcrossCores, DISTRIBUTE_CPUS_ACROSS_CORES],
    [opts.preferAlignByUncoreCache, PREFER_ALIGN_CPUS_BY_UNCORECACHE, opts.distributeCPUsAcrossNUMA, DISTRIBUTE_CPUS_ACROSS_NUMA],
  ];
  for (const [a, aName, b, bName] of exclusive) {
    if (a && b) throw new CpuManagerConfigError(FIELD, `options ${aName} and ${bName} cannot be used together`);
  }
  return opts;
}

/** Checks the options against the machine and the topology manager policy. */
export function validateStaticPolicyOptions(opts: StaticPolicyOptions, topo: CPUTopology, topologyManagerPolicy: string): void {
  if (opts.alignBySocket) {
    if (topologyManagerPolicy === 'single-numa-node') {
      throw new CpuManagerConfigError(
        `${FIELD}["${ALIGN_BY_SOCKET}"]`,
        'incompatible with topologyManagerPolicy "single-numa-node"',
      );
    }
    if (topo.numSockets > topo.numNUMANodes) {
      throw new CpuManagerConfigError(
        `${FIELD}["${ALIGN_BY_SOCKET}"]`,
        `needs at least one NUMA node per socket, the machine has ${topo.numSockets} sockets and ${topo.numNUMANodes} NUMA nodes`,
      );
    }
  }
  if (opts.preferAlignByUncoreCache) {
    throw new CpuManagerConfigError(
      `${FIELD}["${PREFER_ALIGN_CPUS_BY_UNCORECACHE}"]`,
      'not supported by kernelet: the machine topology handed to plugins carries no uncore (L3) cache ids; remove the option or set it to "false"',
    );
  }
}
