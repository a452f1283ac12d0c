import type { MachineInfo } from '@kernelet/sdk/common';
import { MachineInfoError } from '@kernelet/sdk/common';

/**
 * Checks what parseMachineInfo leaves to the agent: a distance matrix with holes is
 * refused (prefer-closest-numa-nodes needs every pair).
 *
 * Everything else is kept as read, core ids included: they are the kernel's
 * (sysfs core_id, repeating per socket) or the file's. Consumers key a physical core
 * by (socket, core, numa), as the kubelet does through cadvisor, which also accepts a
 * core whose threads sit on different NUMA nodes and counts it once per node.
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
  if (problems.length > 0) throw new MachineInfoError(source, problems);
  return machine;
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
