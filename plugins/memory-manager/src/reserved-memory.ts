/**
 * Validation of the memory manager's configuration, usable by anything that holds a
 * KubeletConfiguration (the agent's config loader, `kernelet config check`, tests).
 *
 * The rules are the kubelet's: reservedMemory entries name `memory` or
 * `hugepages-<size>`, are not zero and not repeated for a node; under the Static
 * policy memory must be reserved somewhere, and per memory type the reservations
 * summed over NUMA nodes must equal what node allocatable holds back:
 *
 *   memory:          kubeReserved + systemReserved + evictionHard memory.available
 *   hugepages-<size>: kubeReserved + systemReserved   (no eviction threshold)
 *
 * With the machine at hand, percentages are resolved against its memory, page sizes
 * it lacks count as unreserved, and no node may reserve more than it has.
 */
import { Quantity, type MachineInfo } from '@kernelet/sdk/common';

import {
  ConfigProblem,
  POLICY_STATIC,
  evictionThresholdBytes,
  fieldKey,
  parseMemoryManagerConfig,
  type MemoryManagerConfig,
} from './config.js';
import { formatBytes, toBytes, type ReservedByNode } from './state/machine-state.js';
import { HUGEPAGES_PREFIX, MEMORY, isMemoryType } from './state/memory-state.js';

/** Every problem with memoryManagerPolicy, reservedMemory and what they must agree with; empty when valid. */
export function validateReservedMemory(kubeletConfig: unknown, machine?: MachineInfo): ConfigProblem[] {
  const { config, problems } = parseMemoryManagerConfig(kubeletConfig);
  return [...problems, ...reservationProblems(config, machine)];
}

/** reservedMemory entries naming NUMA nodes the machine does not have. */
export function validateReservedMemoryNUMANodes(kubeletConfig: unknown, machine: MachineInfo): ConfigProblem[] {
  const { config } = parseMemoryManagerConfig(kubeletConfig);
  return numaNodeProblems(config, machine);
}

export function numaNodeProblems(config: MemoryManagerConfig, machine: MachineInfo): ConfigProblem[] {
  const ids = new Set(machine.numaNodes.map((n) => n.id));
  return config.reservedMemory
    .filter((r) => !ids.has(r.numaNode))
    .map(
      (r) =>
        new ConfigProblem(
          `reservedMemory[${r.index}].numaNode`,
          String(r.numaNode),
          `NUMA node ${r.numaNode} does not exist on this machine (it has ${[...ids].join(', ')})`,
        ),
    );
}

export function reservationProblems(config: MemoryManagerConfig, machine?: MachineInfo): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  for (const r of config.reservedMemory) {
    for (const [type, q] of r.limits) {
      const field = fieldKey(`reservedMemory[${r.index}].limits`, type);
      if (!isMemoryType(type)) {
        problems.push(new ConfigProblem(field, type, `unsupported memory type "${type}" (want memory or hugepages-<size>)`));
      }
      if (q.isZero()) problems.push(new ConfigProblem(field, q.toString(), `reserved ${type} on NUMA node ${r.numaNode} must not be zero`));
      const key = `${r.numaNode}/${type}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(
          new ConfigProblem(field, q.toString(), `NUMA node ${r.numaNode} reserves ${type} twice (also in reservedMemory[${first}])`),
        );
      } else seen.set(key, r.index);
    }
  }
  if (config.policy !== POLICY_STATIC) return problems;

  const totalReserved = (type: string): Quantity =>
    config.reservedMemory
      .flatMap((r) => (r.limits.has(type) ? [r.limits.get(type) as Quantity] : []))
      .reduce((sum, q) => sum.add(q), Quantity.zero('BinarySI'));
  if (totalReserved(MEMORY).isZero()) {
    problems.push(
      new ConfigProblem('reservedMemory', '[]', 'the Static policy needs memory reserved for the system on at least one NUMA node'),
    );
  }

  const machineMemory = machine?.numaNodes.reduce((sum, n) => sum + n.memory.value(), 0n);
  const machinePageSizes = machine ? new Set(machine.numaNodes.flatMap((n) => [...n.hugepages.keys()])) : undefined;
  const types = new Set<string>([MEMORY]);
  for (const r of config.reservedMemory) for (const type of r.limits.keys()) if (isMemoryType(type)) types.add(type);
  for (const type of [...config.kubeReserved.keys(), ...config.systemReserved.keys()]) types.add(type);

  for (const type of [...types].sort()) {
    const isHugepages = type.startsWith(HUGEPAGES_PREFIX);
    const inCapacity = !isHugepages || !machinePageSizes || machinePageSizes.has(type.slice(HUGEPAGES_PREFIX.length));
    let expected = 0n;
    if (inCapacity) {
      expected += config.kubeReserved.get(type)?.value() ?? 0n;
      expected += config.systemReserved.get(type)?.value() ?? 0n;
    }
    if (type === MEMORY) {
      const eviction = config.evictionMemoryAvailable;
      if ('percentage' in eviction && machineMemory === undefined) continue; // resolved once the machine is known
      expected += evictionThresholdBytes(eviction, machineMemory ?? 0n);
    }
    const reserved = totalReserved(type);
    if (reserved.value() === expected) continue;
    const parts = type === MEMORY ? 'kubeReserved+systemReserved+evictionHard' : 'kubeReserved+systemReserved';
    problems.push(
      new ConfigProblem(
        'reservedMemory',
        reserved.toString(),
        `sum of reserved ${type} on NUMA nodes (${reserved.toString()}) does not equal ${parts} (${formatBytes(expected)})` +
          (inCapacity ? '' : ` (the machine has no ${type})`),
      ),
    );
  }

  if (machine) problems.push(...capacityProblems(config, machine));
  return problems;
}

/** No node may reserve more of a type than it has; regular memory also holds the node's hugepages. */
function capacityProblems(config: MemoryManagerConfig, machine: MachineInfo): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const r of config.reservedMemory) {
    const node = machine.numaNodes.find((n) => n.id === r.numaNode);
    if (!node) continue; // reported by numaNodeProblems
    for (const [type, q] of r.limits) {
      if (!isMemoryType(type)) continue;
      const field = fieldKey(`reservedMemory[${r.index}].limits`, type);
      let available: bigint;
      let of: string;
      if (type === MEMORY) {
        const hugepages = [...node.hugepages.values()].reduce((sum, h) => sum + h.value(), 0n);
        available = node.memory.value() - hugepages;
        of = hugepages > 0n ? `its ${node.memory.toString()} of memory less ${formatBytes(hugepages)} of hugepages` : `its ${node.memory.toString()} of memory`;
      } else {
        const pages = node.hugepages.get(type.slice(HUGEPAGES_PREFIX.length));
        if (!pages) continue; // reported by the sum rule
        available = pages.value();
        of = `its ${pages.toString()} of ${type}`;
      }
      if (q.value() > available) {
        problems.push(new ConfigProblem(field, q.toString(), `${q.toString()} reserved on NUMA node ${r.numaNode} exceeds ${of}`));
      }
    }
  }
  return problems;
}

/** The reservations as the Static policy uses them: bytes per node and type. */
export function reservedByNode(config: MemoryManagerConfig): ReservedByNode {
  const byNode = new Map<number, Map<string, number>>();
  for (const r of config.reservedMemory) {
    let node = byNode.get(r.numaNode);
    if (!node) byNode.set(r.numaNode, (node = new Map()));
    for (const [type, q] of r.limits) if (isMemoryType(type)) node.set(type, toBytes(q));
  }
  return byNode;
}
