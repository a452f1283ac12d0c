/**
 * The CPU manager's part of the merged KubeletConfiguration (upstream JSON field
 * names), read once at the edge. Only the fields the CPU manager uses are read;
 * the agent's configuration loader owns the rest.
 */
import { CPUSet, CPUSetError, Quantity } from '@kernelet/sdk/common';
import { CpuManagerConfigError } from '../errors.js';
import { parseFeatureGates, type FeatureGates } from './feature-gates.js';

export const CPU_MANAGER_POLICIES = ['none', 'static'] as const;
export type CpuManagerPolicyName = (typeof CPU_MANAGER_POLICIES)[number];

export const TOPOLOGY_MANAGER_POLICIES = ['none', 'best-effort', 'restricted', 'single-numa-node'] as const;
export type TopologyManagerPolicyName = (typeof TOPOLOGY_MANAGER_POLICIES)[number];

/** The KubeletConfiguration fields the CPU manager reads. */
export interface KubeletCpuManagerFields {
  cpuManagerPolicy?: string;
  cpuManagerPolicyOptions?: Record<string, string>;
  cpuManagerReconcilePeriod?: string;
  reservedSystemCPUs?: string;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  topologyManagerPolicy?: string;
  featureGates?: Record<string, boolean>;
}

export interface CpuManagerConfig {
  readonly policy: CpuManagerPolicyName;
  readonly policyOptions: ReadonlyMap<string, string>;
  /** `reservedSystemCPUs`; empty when not set. */
  readonly reservedSystemCPUs: CPUSet;
  /**
   * How many CPUs are reserved: the size of reservedSystemCPUs when set (which then
   * overrides kubeReserved and systemReserved cpu, as the kubelet does), otherwise
   * kubeReserved.cpu + systemReserved.cpu rounded up to a whole CPU.
   */
  readonly numReservedCPUs: number;
  readonly reconcilePeriodMs: number;
  readonly topologyManagerPolicy: TopologyManagerPolicyName;
  readonly featureGates: FeatureGates;
}

const DEFAULT_RECONCILE_PERIOD_MS = 10_000;

export function parseCpuManagerConfig(raw: unknown): CpuManagerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CpuManagerConfigError('kubeletConfig', `must be a KubeletConfiguration object, got ${JSON.stringify(raw)}`);
  }
  const kc = raw as Record<string, unknown>;

  const policy = optionalString(kc, 'cpuManagerPolicy') ?? 'none';
  if (!(CPU_MANAGER_POLICIES as readonly string[]).includes(policy)) {
    throw new CpuManagerConfigError('cpuManagerPolicy', `unknown policy "${policy}" (want ${CPU_MANAGER_POLICIES.join('|')})`);
  }

  const topologyManagerPolicy = optionalString(kc, 'topologyManagerPolicy') ?? 'none';
  if (!(TOPOLOGY_MANAGER_POLICIES as readonly string[]).includes(topologyManagerPolicy)) {
    throw new CpuManagerConfigError(
      'topologyManagerPolicy',
      `unknown policy "${topologyManagerPolicy}" (want ${TOPOLOGY_MANAGER_POLICIES.join('|')})`,
    );
  }

  const featureGates = parseFeatureGates(kc['featureGates']);
  const policyOptions = stringMap(kc, 'cpuManagerPolicyOptions');

  const reservedText = (optionalString(kc, 'reservedSystemCPUs') ?? '').trim();
  let reservedSystemCPUs = CPUSet.EMPTY;
  try {
    reservedSystemCPUs = CPUSet.parse(reservedText);
  } catch (err) {
    const detail = err instanceof CPUSetError ? err.message : String(err);
    throw new CpuManagerConfigError('reservedSystemCPUs', `not a cpu list: ${detail}`, { cause: err });
  }

  let numReservedCPUs = reservedSystemCPUs.size;
  if (numReservedCPUs === 0) {
    const milli = reservedMilliCPU(kc, 'kubeReserved') + reservedMilliCPU(kc, 'systemReserved');
    numReservedCPUs = Number((milli + 999n) / 1000n);
  }

  const period = optionalString(kc, 'cpuManagerReconcilePeriod');
  const reconcilePeriodMs = period === undefined || period === '' ? DEFAULT_RECONCILE_PERIOD_MS : parseGoDuration('cpuManagerReconcilePeriod', period);

  return {
    policy: policy as CpuManagerPolicyName,
    policyOptions,
    reservedSystemCPUs,
    numReservedCPUs,
    reconcilePeriodMs,
    topologyManagerPolicy: topologyManagerPolicy as TopologyManagerPolicyName,
    featureGates,
  };
}

function optionalString(kc: Record<string, unknown>, field: string): string | undefined {
  const v = kc[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CpuManagerConfigError(field, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function stringMap(kc: Record<string, unknown>, field: string): Map<string, string> {
  const v = kc[field];
  const out = new Map<string, string>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) throw new CpuManagerConfigError(field, `must be a map of strings, got ${JSON.stringify(v)}`);
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') throw new CpuManagerConfigError(`${field}["${k}"]`, `must be a string, got ${JSON.stringify(value)}`);
    out.set(k, value);
  }
  return out;
}

function reservedMilliCPU(kc: Record<string, unknown>, field: string): bigint {
  const cpu = stringMap(kc, field).get('cpu');
  if (cpu === undefined) return 0n;
  const q = Quantity.tryParse(cpu);
  if (!q) throw new CpuManagerConfigError(`${field}.cpu`, `invalid quantity "${cpu}"`);
  if (q.sign() < 0) throw new CpuManagerConfigError(`${field}.cpu`, `must not be negative, got "${cpu}"`);
  return q.milliValue();
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("10s", "1m30s", "500ms") in milliseconds. */
export function parseGoDuration(field: string, text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let rest = text.startsWith('+') ? text.slice(1) : text;
  if (rest === '0') return 0;
  if (rest === '' || rest.startsWith('-')) throw new CpuManagerConfigError(field, `invalid duration "${text}" (want e.g. "10s")`);
  re.lastIndex = 0;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new CpuManagerConfigError(field, `invalid duration "${text}" (want e.g. "10s")`);
    ms += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
    re.lastIndex = 0;
  }
  return ms;
}
