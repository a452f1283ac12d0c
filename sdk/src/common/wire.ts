/**
 * Conversions between kernelet.v1alpha1 messages and the shared domain types, used on
 * both sides of the wire (the agent and the SDK), so the two cannot drift apart.
 * Input from the far side is validated here, once.
 */
import type { v1alpha1 } from '@kernelet/proto';
import type { Pod } from './k8s-types.js';
import { maskIds, maskOf } from './numa-mask.js';
import type { ContainerAllocation, ProviderHints, ResourceHints, SharedAllocation, TopologyHint } from './topology-hint.js';

/** A message from the far side that does not mean anything valid. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

export function podToWire(pod: Pod): v1alpha1.Pod {
  return { json: JSON.stringify(pod) };
}

/** Parses a Pod message; refuses anything that is not a JSON object with metadata. */
export function podFromWire(message: v1alpha1.Pod | undefined): Pod {
  if (!message || message.json === '') throw new WireError('pod is missing');
  let value: unknown;
  try {
    value = JSON.parse(message.json);
  } catch (e) {
    throw new WireError(`pod is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError('pod is not a JSON object');
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) throw new WireError('pod has no metadata');
  return value as Pod;
}

export function hintToWire(hint: TopologyHint): v1alpha1.TopologyHint {
  return {
    numaAffinity: hint.numaAffinity === null ? undefined : { nodes: maskIds(hint.numaAffinity) },
    preferred: hint.preferred,
  };
}

export function hintFromWire(message: v1alpha1.TopologyHint | undefined): TopologyHint {
  if (!message) return { numaAffinity: null, preferred: true };
  const nodes = message.numaAffinity?.nodes;
  if (nodes?.some((n) => !Number.isInteger(n) || n < 0 || n > 1 << 16)) {
    throw new WireError(`hint names an invalid NUMA node: [${nodes.join(',')}]`);
  }
  return { numaAffinity: nodes === undefined ? null : maskOf(nodes), preferred: message.preferred };
}

/**
 * A provider's hints on the wire; `packed` puts each resource's hints in ResourceHints.packed,
 * which only an agent that says it reads them may be sent.
 */
export function providerHintsToWire(hints: ProviderHints, options: { packed?: boolean } = {}): v1alpha1.GetTopologyHintsResponse {
  const out: Record<string, v1alpha1.ResourceHints> = {};
  for (const [resource, list] of hints) {
    if (list === null) out[resource] = { hints: [], noPreference: true, packed: [] };
    else if (options.packed) out[resource] = { hints: [], noPreference: false, packed: packHints(list) };
    else out[resource] = { hints: list.map(hintToWire), noPreference: false, packed: [] };
  }
  return { hints: out };
}

export function providerHintsFromWire(message: v1alpha1.GetTopologyHintsResponse): ProviderHints {
  const hints = new Map<string, ResourceHints>();
  for (const [resource, list] of Object.entries(message.hints)) {
    if (resource === '') throw new WireError('hints for a resource with an empty name');
    if (list.noPreference) hints.set(resource, null);
    else if (list.packed.length > 0) hints.set(resource, unpackHints(resource, list.packed));
    else hints.set(resource, list.hints.map(hintFromWire));
  }
  return hints;
}

/** ResourceHints.packed: per hint a header (+ preferred, - not; its size is 1 + the node count), then the node ids. */
function packHints(list: readonly TopologyHint[]): number[] {
  const packed: number[] = [];
  for (const hint of list) {
    const ids = hint.numaAffinity === null ? [] : maskIds(hint.numaAffinity);
    packed.push(hint.preferred ? ids.length + 1 : -(ids.length + 1), ...ids);
  }
  return packed;
}

function unpackHints(resource: string, packed: readonly number[]): TopologyHint[] {
  const hints: TopologyHint[] = [];
  for (let i = 0; i < packed.length; ) {
    const header = packed[i] as number;
    const count = Math.abs(header) - 1;
    if (header === 0 || i + 1 + count > packed.length) {
      throw new WireError(`packed hints for ${resource}: hint at ${i} has header ${header}, which does not fit the ${packed.length} values sent`);
    }
    const nodes = packed.slice(i + 1, i + 1 + count);
    if (nodes.some((n) => n < 0 || n > 1 << 16)) throw new WireError(`packed hints for ${resource}: hint at ${i} names an invalid NUMA node: [${nodes.join(',')}]`);
    hints.push({ numaAffinity: count === 0 ? null : maskOf(nodes), preferred: header > 0 });
    i += 1 + count;
  }
  return hints;
}

export function allocationToWire(a: ContainerAllocation): v1alpha1.ContainerAllocation {
  return {
    podUid: a.podUID,
    containerName: a.containerName,
    cpusetCpus: a.cpusetCpus ?? '',
    cpusetMems: a.cpusetMems ?? '',
    envs: { ...a.envs },
    mounts: (a.mounts ?? []).map((m) => ({ ...m })),
    devices: (a.devices ?? []).map((d) => ({ ...d })),
    annotations: { ...a.annotations },
    cdiDevices: [...(a.cdiDevices ?? [])],
    resourceDevices: (a.resourceDevices ?? []).map((r) => ({
      resourceName: r.resourceName,
      deviceIds: [...r.deviceIds],
      numaAffinity: r.numaAffinity === null ? undefined : { nodes: maskIds(r.numaAffinity) },
    })),
  };
}

export function sharedAllocationToWire(shared: SharedAllocation): v1alpha1.ContainerAllocation {
  return allocationToWire({ ...shared, podUID: '', containerName: '' });
}

export function sharedAllocationFromWire(m: v1alpha1.ContainerAllocation): SharedAllocation {
  const { podUID: _podUID, containerName: _containerName, ...shared } = allocationFromWire(m);
  return shared;
}

export function allocationFromWire(m: v1alpha1.ContainerAllocation): ContainerAllocation {
  const allocation: ContainerAllocation = {
    podUID: m.podUid,
    containerName: m.containerName,
    ...(m.cpusetCpus ? { cpusetCpus: m.cpusetCpus } : {}),
    ...(m.cpusetMems ? { cpusetMems: m.cpusetMems } : {}),
    ...(Object.keys(m.envs).length > 0 ? { envs: m.envs } : {}),
    ...(m.mounts.length > 0 ? { mounts: m.mounts } : {}),
    ...(m.devices.length > 0 ? { devices: m.devices } : {}),
    ...(Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {}),
    ...(m.cdiDevices.length > 0 ? { cdiDevices: m.cdiDevices } : {}),
    ...(m.resourceDevices.length > 0
      ? {
          resourceDevices: m.resourceDevices.map((r) => ({
            resourceName: r.resourceName,
            deviceIds: r.deviceIds,
            numaAffinity: r.numaAffinity ? maskOf(r.numaAffinity.nodes) : null,
          })),
        }
      : {}),
  };
  return allocation;
}
