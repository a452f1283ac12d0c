import { readFileSync, statfsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { Quantity, type MachineInfo } from '@kernelet/sdk/common';

export interface CapacityInputs {
  machine: MachineInfo | null;
  /** The machine came from a file (--machine-info-file): its memory is the node's. */
  machineFromFile: boolean;
  rootDir: string;
  maxPods: number;
  podsPerCore: number;
}

/**
 * The node's capacity (upstream cadvisor-based capacity): cpu from the machine topology (or
 * the CPUs Node sees), memory from /proc/meminfo (or the machine file's NUMA nodes),
 * ephemeral-storage from the root dir's filesystem, hugepages from the topology, and pods from
 * maxPods (capped by podsPerCore × CPUs when set).
 */
export function readNodeCapacity(inputs: CapacityInputs): Map<string, Quantity> {
  const capacity = new Map<string, Quantity>();
  const cpuCount = inputs.machine?.cpus.length || cpus().length || 1;
  capacity.set('cpu', Quantity.fromValue(cpuCount));
  let memory = 0n;
  // Like cadvisor, the node's memory is /proc/meminfo's MemTotal (the NUMA nodes' sum can be
  // less on VMs); a machine file stands for a whole other machine.
  if (inputs.machineFromFile && inputs.machine && inputs.machine.numaNodes.length > 0) {
    for (const node of inputs.machine.numaNodes) memory += node.memory.value();
  } else {
    memory = memTotalBytes();
  }
  capacity.set('memory', Quantity.fromValue(memory, 'BinarySI'));
  try {
    const fs = statfsSync(existingAncestor(inputs.rootDir));
    capacity.set('ephemeral-storage', Quantity.fromValue(BigInt(fs.blocks) * BigInt(fs.bsize), 'BinarySI'));
  } catch {
    // root dir not there yet: no ephemeral-storage capacity
  }
  const hugepages = new Map<string, bigint>();
  for (const node of inputs.machine?.numaNodes ?? []) {
    for (const [size, total] of node.hugepages) hugepages.set(size, (hugepages.get(size) ?? 0n) + total.value());
  }
  for (const [size, total] of hugepages) capacity.set(`hugepages-${size}`, Quantity.fromValue(total, 'BinarySI'));
  let pods = inputs.maxPods;
  if (inputs.podsPerCore > 0) pods = Math.min(pods, inputs.podsPerCore * cpuCount);
  capacity.set('pods', Quantity.fromValue(pods));
  return capacity;
}

function memTotalBytes(): bigint {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const m = /^MemTotal:\s+(\d+) kB/m.exec(text);
    if (m) return BigInt(m[1] as string) * 1024n;
  } catch {
    // fall through
  }
  return 0n;
}

/** The root dir, or its nearest existing parent (the root dir may not exist yet). */
function existingAncestor(path: string): string {
  let p = path;
  for (;;) {
    try {
      statfsSync(p);
      return p;
    } catch {
      const parent = dirname(p);
      if (parent === p) return p;
      p = parent;
    }
  }
}
