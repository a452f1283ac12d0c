/**
 * The part of the merged KubeletConfiguration (kubelet.config.k8s.io/v1beta1, JSON
 * field names) the memory manager reads, parsed once:
 *
 *   memoryManagerPolicy: None | Static          (default None)
 *   reservedMemory: [{numaNode: 0, limits: {memory: 1Gi, hugepages-1Gi: 2Gi}}, ...]
 *   kubeReserved / systemReserved: {memory: 1Gi, hugepages-2Mi: ...}
 *   evictionHard: {"memory.available": "100Mi" | "5%"}   (default 100Mi when unset)
 *   mergeDefaultEvictionSettings, topologyManagerPolicy, featureGates
 */
import { Quantity } from '@kernelet/sdk/common';

import { isMemoryType } from './state/memory-state.js';

export const POLICY_NONE = 'None';
export const POLICY_STATIC = 'Static';
export type PolicyName = typeof POLICY_NONE | typeof POLICY_STATIC;
const POLICIES: readonly string[] = [POLICY_NONE, POLICY_STATIC];

/** The kubelet's hard eviction default for memory.available. */
export const DEFAULT_EVICTION_MEMORY_AVAILABLE = '100Mi';

/**
 * Feature gates the memory manager consults, with the defaults of Kubernetes 1.34:
 * pods using pod-level resources are left alone; a resized container keeps the
 * memory it was admitted with (status.allocatedResources).
 */
const DEFAULT_FEATURE_GATES: Readonly<Record<string, boolean>> = {
  MemoryManager: true,
  PodLevelResources: true,
  InPlacePodVerticalScaling: true,
};

/** A configuration problem: the field (a path into the KubeletConfiguration), the value found, and what is wrong. */
export class ConfigProblem {
  constructor(
    readonly field: string,
    readonly value: string,
    readonly message: string,
  ) {}

  toString(): string {
    return `${this.field}: ${this.message}`;
  }
}

export class MemoryManagerConfigError extends Error {
  override readonly name = 'MemoryManagerConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid memory manager configuration: ${problems.join('; ')}`);
  }
}

export interface MemoryReservation {
  /** Index in reservedMemory, for messages. */
  index: number;
  numaNode: number;
  /** Memory type to quantity, in the order written. */
  limits: ReadonlyMap<string, Quantity>;
}

/** An evictionHard memory.available threshold: a quantity, or a fraction of the node's memory. */
export type EvictionThreshold = { quantity: Quantity } | { percentage: number; text: string };

export interface MemoryManagerConfig {
  policy: PolicyName;
  reservedMemory: readonly MemoryReservation[];
  kubeReserved: ReadonlyMap<string, Quantity>;
  systemReserved: ReadonlyMap<string, Quantity>;
  evictionMemoryAvailable: EvictionThreshold;
  topologyManagerPolicy: string;
  featureGates: Readonly<Record<string, boolean>>;
}

/** Parses what it can; every problem found is returned, none thrown. */
export function parseMemoryManagerConfig(kubeletConfig: unknown): { config: MemoryManagerConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const problem = (field: string, value: unknown, message: string): void => {
    problems.push(new ConfigProblem(field, show(value), message));
  };
  const kc = isObject(kubeletConfig) ? kubeletConfig : {};
  if (!isObject(kubeletConfig)) problem('', kubeletConfig, 'the kubelet configuration must be an object');

  let policy: PolicyName = POLICY_NONE;
  const rawPolicy = kc['memoryManagerPolicy'];
  if (rawPolicy !== undefined && rawPolicy !== '') {
    if (typeof rawPolicy === 'string' && POLICIES.includes(rawPolicy)) policy = rawPolicy as PolicyName;
    else problem('memoryManagerPolicy', rawPolicy, `unknown policy ${show(rawPolicy)} (want ${POLICIES.join('|')})`);
  }

  const featureGates: Record<string, boolean> = { ...DEFAULT_FEATURE_GATES };
  const rawGates = kc['featureGates'];
  if (isObject(rawGates)) {
    for (const [name, on] of Object.entries(rawGates)) {
      if (typeof on === 'boolean') featureGates[name] = on;
      else problem(`featureGates.${name}`, on, 'must be true or false');
    }
  } else if (rawGates !== undefined) problem('featureGates', rawGates, 'must be a map of gate names to booleans');
  if (policy === POLICY_STATIC && featureGates['MemoryManager'] === false) {
    problem('memoryManagerPolicy', policy, 'the Static policy needs the MemoryManager feature gate, which is disabled');
  }

  const reservedMemory: MemoryReservation[] = [];
  const rawReserved = kc['reservedMemory'] ?? [];
  if (!Array.isArray(rawReserved)) problem('reservedMemory', rawReserved, 'must be a list of {numaNode, limits}');
  else {
    rawReserved.forEach((entry: unknown, index) => {
      const at = `reservedMemory[${index}]`;
      if (!isObject(entry)) return void problem(at, entry, 'must be an object with numaNode and limits');
      const numaNode = entry['numaNode'] ?? 0;
      if (typeof numaNode !== 'number' || !Number.isInteger(numaNode) || numaNode < 0) {
        return void problem(`${at}.numaNode`, numaNode, `must be a NUMA node id, got ${show(numaNode)}`);
      }
      const limits = new Map<string, Quantity>();
      const rawLimits = entry['limits'] ?? {};
      if (!isObject(rawLimits)) return void problem(`${at}.limits`, rawLimits, 'must be a map of memory types to quantities');
      for (const [type, value] of Object.entries(rawLimits)) {
        const q = parseQuantity(value, fieldKey(`${at}.limits`, type), problem);
        if (q) limits.set(type, q);
      }
      reservedMemory.push({ index, numaNode, limits });
    });
  }

  const kubeReserved = parseResourceList(kc['kubeReserved'], 'kubeReserved', problem);
  const systemReserved = parseResourceList(kc['systemReserved'], 'systemReserved', problem);
  const evictionMemoryAvailable = parseEvictionThreshold(kc, problem);

  const rawTopologyPolicy = kc['topologyManagerPolicy'] ?? 'none';
  const topologyManagerPolicy = typeof rawTopologyPolicy === 'string' ? rawTopologyPolicy : 'none';
  if (typeof rawTopologyPolicy !== 'string') problem('topologyManagerPolicy', rawTopologyPolicy, 'must be a string');

  return {
    config: { policy, reservedMemory, kubeReserved, systemReserved, evictionMemoryAvailable, topologyManagerPolicy, featureGates },
    problems,
  };
}

function parseEvictionThreshold(kc: Record<string, unknown>, problem: (f: string, v: unknown, m: string) => void): EvictionThreshold {
  const evictionHard = kc['evictionHard'];
  let raw: unknown;
  if (evictionHard === undefined || evictionHard === null) raw = DEFAULT_EVICTION_MEMORY_AVAILABLE;
  else if (!isObject(evictionHard)) {
    problem('evictionHard', evictionHard, 'must be a map of eviction signals to thresholds');
    return { quantity: Quantity.zero() };
  } else {
    // A configuration that sets evictionHard replaces the defaults, unless it asks for them to be merged.
    raw = evictionHard['memory.available'] ?? (kc['mergeDefaultEvictionSettings'] === true ? DEFAULT_EVICTION_MEMORY_AVAILABLE : '0');
  }
  const field = 'evictionHard["memory.available"]';
  if (typeof raw !== 'string') {
    problem(field, raw, 'must be a quantity ("100Mi") or a percentage ("5%")');
    return { quantity: Quantity.zero() };
  }
  if (raw.endsWith('%')) {
    const text = raw.slice(0, -1);
    const percentage = Number(text);
    if (text === '' || !Number.isFinite(percentage) || percentage < 0 || percentage > 100) {
      problem(field, raw, `invalid percentage ${show(raw)}`);
      return { quantity: Quantity.zero() };
    }
    return { percentage, text: raw };
  }
  return { quantity: parseQuantity(raw, field, problem) ?? Quantity.zero() };
}

/** The memory.available threshold in bytes for a node with this much memory (the kubelet's float32 arithmetic). */
export function evictionThresholdBytes(threshold: EvictionThreshold, memoryCapacity: bigint): bigint {
  if ('quantity' in threshold) return threshold.quantity.value();
  const fraction = Math.fround(Math.fround(threshold.percentage) / 100);
  return BigInt(Math.trunc(Number(memoryCapacity) * fraction));
}

function parseResourceList(
  raw: unknown,
  field: string,
  problem: (f: string, v: unknown, m: string) => void,
): ReadonlyMap<string, Quantity> {
  const list = new Map<string, Quantity>();
  if (raw === undefined || raw === null) return list;
  if (!isObject(raw)) {
    problem(field, raw, 'must be a map of resource names to quantities');
    return list;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!isMemoryType(name)) continue;
    const q = parseQuantity(value, fieldKey(field, name), problem);
    if (q) list.set(name, q);
  }
  return list;
}

function parseQuantity(value: unknown, field: string, problem: (f: string, v: unknown, m: string) => void): Quantity | undefined {
  const q = typeof value === 'string' || typeof value === 'number' ? Quantity.tryParse(String(value)) : undefined;
  if (!q) problem(field, value, `invalid quantity ${show(value)}`);
  else if (q.sign() < 0) problem(field, value, `must not be negative, got ${show(value)}`);
  else return q;
  return undefined;
}

/** `parent.key`, or `parent["key"]` when the key is not a plain identifier. */
export function fieldKey(parent: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
