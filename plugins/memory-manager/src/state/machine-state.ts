/**
 * The machine state as it follows from the machine, the reserved memory and the
 * recorded assignments, and how a stored machine state differs from it.
 */
import { Quantity, type MachineInfo } from '@kernelet/sdk/common';

import type { StaleAssignment } from './errors.js';
import {
  HUGEPAGES_PREFIX,
  MEMORY,
  cloneMachineState,
  type Block,
  type ContainerMemoryAssignments,
  type MemoryTable,
  type MemoryType,
  type NUMANodeMap,
} from './memory-state.js';

/** NUMA node id to memory type to bytes reserved for the system on that node. */
export type ReservedByNode = ReadonlyMap<number, ReadonlyMap<MemoryType, number>>;

/** A quantity in bytes, as a JS number. */
export function toBytes(q: Quantity): number {
  const n = Number(q.value());
  if (!Number.isSafeInteger(n)) throw new RangeError(`${q.toString()} is too large to count in bytes`);
  return n;
}

/** Bytes in the binary-suffix form people read: "1536Mi", "64Gi". */
export function formatBytes(bytes: number | bigint): string {
  return Quantity.fromValue(bytes, 'BinarySI').toString();
}

/** Every node alone in its group, nothing assigned: all allocatable memory free. */
export function defaultMachineState(machine: MachineInfo, reserved: ReservedByNode): NUMANodeMap {
  const state: NUMANodeMap = new Map();
  for (const node of machine.numaNodes) {
    const memoryMap = new Map<MemoryType, MemoryTable>();
    const nodeReserved = reserved.get(node.id);
    let hugepagesTotal = 0;
    for (const [size, total] of node.hugepages) {
      const type = `${HUGEPAGES_PREFIX}${size}`;
      memoryMap.set(type, table(toBytes(total), nodeReserved?.get(type) ?? 0, 0));
      hugepagesTotal += toBytes(total);
    }
    memoryMap.set(MEMORY, table(toBytes(node.memory), nodeReserved?.get(MEMORY) ?? 0, hugepagesTotal));
    state.set(node.id, { numberOfAssignments: 0, memoryMap, cells: [node.id] });
  }
  return state;
}

function table(total: number, systemReserved: number, alsoTaken: number): MemoryTable {
  const allocatable = Math.max(0, total - systemReserved - alsoTaken);
  return { total, systemReserved, allocatable, reserved: 0, free: allocatable };
}

/**
 * Places every recorded block on a machine state (normally the default one), as the
 * policy placed it: counts and groups per node, memory taken from the affinity's
 * nodes in order. Blocks go in a fixed order (pods, then containers, by name), so
 * the result does not depend on the file's key order.
 *
 * Conflicts: a block on a node or memory type the machine lacks, a node in two
 * groups, or blocks that together need more than their nodes can give.
 */
export interface PlacedAssignments {
  state: NUMANodeMap;
  conflicts: StaleAssignment[];
}

export function placeAssignments(base: NUMANodeMap, entries: ContainerMemoryAssignments): PlacedAssignments {
  const state = cloneMachineState(base);
  const conflicts: StaleAssignment[] = [];
  const groupOf = new Map<number, { nodes: number[]; field: string }>();

  for (const { podUID, containerName, block, field } of orderedBlocks(entries)) {
    const conflict = (where: string, problem: string): void => {
      conflicts.push({ podUID, containerName, field: `${field}${where}`, problem });
    };
    const nodes = [...new Set(block.numaAffinity)].sort((a, b) => a - b);
    const missing = nodes.filter((id) => !state.has(id));
    if (missing.length > 0) {
      conflict('.numaAffinity', `NUMA node ${missing.join(', ')} does not exist on this machine (nodes: ${[...state.keys()].join(', ')})`);
      continue;
    }
    const lacking = nodes.filter((id) => !state.get(id)?.memoryMap.has(block.type));
    if (lacking.length > 0) {
      conflict('.type', `NUMA node ${lacking.join(', ')} has no ${block.type}`);
      continue;
    }
    if (nodes.length > 1) {
      const clash = nodes.map((id) => groupOf.get(id)).find((g) => g !== undefined && !sameNodes(g.nodes, nodes));
      if (clash) {
        conflict('.numaAffinity', `NUMA nodes [${nodes.join(',')}] overlap the group [${clash.nodes.join(',')}] of ${clash.field}; a NUMA node can be part of only one group`);
        continue;
      }
      for (const id of nodes) groupOf.set(id, { nodes, field });
    }

    let left = block.size;
    for (const id of block.numaAffinity) {
      const node = state.get(id);
      if (!node) continue;
      node.numberOfAssignments++;
      node.cells = [...nodes];
      const t = node.memoryMap.get(block.type);
      if (!t || left === 0) continue;
      const take = Math.min(t.free, left);
      t.free -= take;
      t.reserved += take;
      left -= take;
    }
    if (left > 0) {
      const allocatable = nodes.reduce((sum, id) => sum + (state.get(id)?.memoryMap.get(block.type)?.allocatable ?? 0), 0);
      conflict(
        '.size',
        `${formatBytes(block.size)} of ${block.type} does not fit: NUMA node(s) ${nodes.join(',')} have ${formatBytes(allocatable)} allocatable, ` +
          `${formatBytes(block.size - left)} of it left for this block`,
      );
    }
  }
  return { state, conflicts };
}

function* orderedBlocks(entries: ContainerMemoryAssignments): Generator<{ podUID: string; containerName: string; block: Block; field: string }> {
  for (const podUID of [...entries.keys()].sort()) {
    const containers = entries.get(podUID) ?? new Map<string, Block[]>();
    for (const containerName of [...containers.keys()].sort()) {
      const blocks = containers.get(containerName) ?? [];
      for (const [i, block] of blocks.entries()) {
        yield { podUID, containerName, block, field: `entries[${JSON.stringify(podUID)}][${JSON.stringify(containerName)}][${i}]` };
      }
    }
  }
}

export function sameNodes(a: readonly number[], b: readonly number[]): boolean {
  const x = [...new Set(a)].sort((p, q) => p - q);
  const y = [...new Set(b)].sort((p, q) => p - q);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface MachineStateDifference {
  /** Path in the state file, e.g. `machineState["0"].memoryMap["memory"].total`. */
  field: string;
  stored: string;
  current: string;
}

/**
 * How a stored machine state differs from the expected one, field by field, by the
 * upstream rule: per node the assignment count, the group and each table's total,
 * system-reserved and allocatable must match; free and reserved must match summed
 * over the node's group (how a group splits its memory between nodes is free).
 */
export function diffMachineStates(stored: NUMANodeMap, expected: NUMANodeMap): MachineStateDifference[] {
  const diffs: MachineStateDifference[] = [];
  const push = (field: string, s: unknown, c: unknown): void => {
    diffs.push({ field, stored: String(s), current: String(c) });
  };
  const ids = [...new Set([...stored.keys(), ...expected.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const at = `machineState[${JSON.stringify(String(id))}]`;
    const s = stored.get(id);
    const e = expected.get(id);
    if (!s || !e) {
      push(at, s ? 'present' : 'absent', e ? 'present' : 'absent');
      continue;
    }
    if (s.numberOfAssignments !== e.numberOfAssignments) push(`${at}.numberOfAssignments`, s.numberOfAssignments, e.numberOfAssignments);
    if (!sameNodes(s.cells, e.cells)) push(`${at}.cells`, `[${s.cells.join(',')}]`, `[${e.cells.join(',')}]`);
    const types = [...new Set([...s.memoryMap.keys(), ...e.memoryMap.keys()])].sort();
    for (const type of types) {
      const field = `${at}.memoryMap[${JSON.stringify(type)}]`;
      const st = s.memoryMap.get(type);
      const et = e.memoryMap.get(type);
      if (!st || !et) {
        push(field, st ? 'present' : 'absent', et ? 'present' : 'absent');
        continue;
      }
      for (const f of ['total', 'systemReserved', 'allocatable'] as const) {
        if (st[f] !== et[f]) push(`${field}.${f}`, st[f], et[f]);
      }
      for (const f of ['free', 'reserved'] as const) {
        const storedSum = s.cells.reduce((sum, n) => sum + (stored.get(n)?.memoryMap.get(type)?.[f] ?? 0), 0);
        const expectedSum = s.cells.reduce((sum, n) => sum + (expected.get(n)?.memoryMap.get(type)?.[f] ?? 0), 0);
        if (storedSum !== expectedSum) push(`${field}.${f}`, storedSum, expectedSum);
      }
    }
  }
  return diffs;
}
