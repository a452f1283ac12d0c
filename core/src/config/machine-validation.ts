/**
 * Checks that need the machine: NUMA node ids in reservedMemory must exist, reservedSystemCPUs
 * must be online CPUs, a percentage hard-eviction threshold for memory needs the memory
 * capacity before the Memory Manager's sum rule can be checked, and an explicit
 * max-allowable-numa-nodes must allow the machine's NUMA nodes (unset, kernelet has no
 * limit). The agent and the simulator call this once they have the machine topology.
 */
import { CPUSet, Quantity } from '@kernelet/sdk/common';
import type { AgentOptions } from './agent-options.js';
import { hardMemoryThreshold } from './eviction-thresholds.js';
import { keyPath, ProblemList, type ConfigProblem } from './problem.js';
import { checkReservedMemorySum } from './reserved-memory.js';
import { MAX_ALLOWABLE_NUMA_NODES, unsupportedNUMANodesMessage } from '../topology/policy-options.js';

export interface MachineFacts {
  /** Online CPU ids. */
  cpuIds?: readonly number[];
  /** Total memory of the machine in bytes. */
  memoryCapacityBytes?: bigint | number;
}

export function validateForMachine(options: AgentOptions, numaNodeIds: readonly number[], machine: MachineFacts = {}): ConfigProblem[] {
  const problems = new ProblemList();
  const kc = options.kubelet;
  const known = new Set(numaNodeIds);
  const list = [...known].sort((a, b) => a - b).join(', ');
  (kc.reservedMemory ?? []).forEach((reservation, i) => {
    if (!known.has(reservation.numaNode)) {
      problems.add(`${keyPath('reservedMemory', i)}.numaNode`, `NUMA node ${reservation.numaNode} does not exist on this machine (NUMA nodes: ${list === '' ? 'none' : list})`);
    }
  });

  if (machine.cpuIds !== undefined && kc.reservedSystemCPUs !== undefined && kc.reservedSystemCPUs !== '') {
    const online = CPUSet.from(machine.cpuIds);
    const reserved = CPUSet.parse(kc.reservedSystemCPUs);
    if (!reserved.isSubsetOf(online)) {
      problems.add('reservedSystemCPUs', `"${kc.reservedSystemCPUs}" is not a subset of the online CPUs ${online.toString()} (missing ${reserved.difference(online).toString()})`);
    }
  }

  const maxNodes = kc.topologyManagerPolicyOptions?.[MAX_ALLOWABLE_NUMA_NODES];
  if (kc.topologyManagerPolicy !== 'none' && maxNodes !== undefined && /^[+-]?\d+$/.test(maxNodes) && known.size > Number(maxNodes)) {
    problems.add(
      keyPath('topologyManagerPolicyOptions', MAX_ALLOWABLE_NUMA_NODES),
      `${unsupportedNUMANodesMessage(Number(maxNodes))} (this machine has ${known.size}; raise the option or leave it unset: kernelet needs no limit)`,
    );
  }

  const threshold = hardMemoryThreshold(kc.evictionHard);
  if (threshold !== undefined && 'percentage' in threshold && machine.memoryCapacityBytes !== undefined) {
    checkReservedMemorySum(kc, problems, Quantity.fromValue(BigInt(machine.memoryCapacityBytes), 'BinarySI'));
  }
  return problems.problems;
}
