import type { MachineCPU, MachineInfo } from '@kernelet/sdk/common';
import { MachineInfoError } from '@kernelet/sdk/common';

/**
 * Checks what parseMachineInfo leaves to the agent, and normalizes core ids.
 *
 * `core` becomes the lowest logical CPU id among the threads of a physical core
 * (threads are grouped by socket and the core id they came with), like upstream's
 * getUniqueCoreID: unique machine-wide, so a core is keyed by `core` alone, and a
 * file written with per-socket core ids means the same machine after loading.
 *
 * Refused: a distance matrix with holes (prefer-closest-numa-nodes needs every
 * pair), and a core whose threads sit on different NUMA nodes (the CPU manager
 * allocates whole cores within a node).
 */
export function checkMachineInfo(machine: MachineInfo, source: string): MachineInfo {
  const problems: string[] = [];

  if (machine.numaNodes.some((n) => n.distances.size > 0)) {
    for (const node of machine.numaNodes) {
      const missing = machine.numaNodes.filter((to) => !node.distances.has(to.id)).map((to) => to.id);
      if (missing.length > 0)
        problems.push(`numaNodes (id ${node.id}).distances: no distance to NUMA node${missing.length > 1 ? 's' : ''} ${missing.join(',')} (give every pair, or no distances at all)`);
    }
  }

  const threads = new Map<string, MachineCPU[]>();
  for (const cpu of machine.cpus) {
    const key = `${cpu.socket}/${cpu.core}`;
    const list = threads.get(key);
    if (list === undefined) threads.set(key, [cpu]);
    else list.push(cpu);
  }
  const uniqueCore = new Map<number, number>();
  for (const list of threads.values()) {
    const first = list[0] as MachineCPU;
    const nodes = [...new Set(list.map((c) => c.numa))];
    if (nodes.length > 1)
      problems.push(`cpus (id ${list.map((c) => c.id).join(',')}).numa: core ${first.core} of socket ${first.socket} has threads on NUMA nodes ${nodes.join(' and ')}`);
    const lowest = Math.min(...list.map((c) => c.id));
    for (const cpu of list) uniqueCore.set(cpu.id, lowest);
  }

  if (problems.length > 0) throw new MachineInfoError(source, problems);
  return {
    cpus: machine.cpus.map((cpu) => ({ ...cpu, core: uniqueCore.get(cpu.id) ?? cpu.core })),
    numaNodes: machine.numaNodes,
  };
}

const TOP_FIELDS = new Set(['cpus', 'numaNodes']);
const CPU_FIELDS = new Set(['id', 'core', 'socket', 'numa']);
const NODE_FIELDS = new Set(['id', 'memory', 'hugepages', 'distances']);

/** Misspelt fields in a machine file ("numa_nodes", "cpu"), which parseMachineInfo would silently ignore. */
export function unknownMachineFields(input: unknown): string[] {
  if (!isObject(input)) return [];
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (!TOP_FIELDS.has(key)) problems.push(`${key}: unknown field (want cpus, numaNodes)`);
  const scan = (list: unknown, at: string, allowed: ReadonlySet<string>): void => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => {
      if (!isObject(item)) return;
      for (const key of Object.keys(item)) if (!allowed.has(key)) problems.push(`${at}[${i}].${key}: unknown field (want ${[...allowed].join(', ')})`);
    });
  };
  scan(input['cpus'], 'cpus', CPU_FIELDS);
  scan(input['numaNodes'], 'numaNodes', NODE_FIELDS);
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
