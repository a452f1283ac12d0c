/**
 * The machine topology as kernelet passes it around and as `kernelet machine` prints it:
 *
 *   {"cpus":[{"id":0,"core":0,"socket":0,"numa":0},...],
 *    "numaNodes":[{"id":0,"memory":"64Gi","hugepages":{"2Mi":"0","1Gi":"4Gi"},"distances":{"0":10,"1":21}},...]}
 *
 * `core` identifies a physical core as the kernel numbers it (sysfs core_id) or the file
 * gives it; threads of one core share it. Ids read from /sys repeat per socket, so
 * consumers key a core by (socket, core, numa), never by core alone: the kubelet
 * (through cadvisor) counts a core whose threads sit on two NUMA nodes once per node.
 */
import { Quantity } from './quantity.js';

export interface MachineCPU {
  /** Logical CPU id, as the kernel numbers it. */
  id: number;
  /** Physical core id, as read (not unique machine-wide). */
  core: number;
  socket: number;
  numa: number;
}

export interface MachineNUMANode {
  id: number;
  memory: Quantity;
  /** Page size ("2Mi", "1Gi") to total size of the pages of that size on the node. */
  hugepages: ReadonlyMap<string, Quantity>;
  /** NUMA node id to distance (10 = local). Empty when unknown. */
  distances: ReadonlyMap<number, number>;
}

export interface MachineInfo {
  /** Sorted by id. */
  cpus: readonly MachineCPU[];
  /** Sorted by id. */
  numaNodes: readonly MachineNUMANode[];
}

export class MachineInfoError extends Error {
  override readonly name = 'MachineInfoError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.join('; ')}`);
  }
}

const HUGEPAGE_SIZES = new Set(['2Mi', '1Gi']);

/** Validates machine JSON (already parsed) and returns the typed topology; throws MachineInfoError listing every problem. */
export function parseMachineInfo(input: unknown, source = 'machine info'): MachineInfo {
  const problems: string[] = [];
  if (!isObject(input)) throw new MachineInfoError(source, ['not a JSON object']);
  const rawCpus = input['cpus'];
  const rawNodes = input['numaNodes'];
  if (!Array.isArray(rawCpus)) problems.push('cpus: must be a list');
  if (!Array.isArray(rawNodes)) problems.push('numaNodes: must be a list');
  if (problems.length > 0) throw new MachineInfoError(source, problems);

  const numaNodes: MachineNUMANode[] = [];
  const nodeIds = new Set<number>();
  (rawNodes as unknown[]).forEach((raw, i) => {
    const at = `numaNodes[${i}]`;
    if (!isObject(raw)) return void problems.push(`${at}: must be an object`);
    const id = raw['id'];
    if (!isId(id)) return void problems.push(`${at}.id: must be a non-negative integer, got ${JSON.stringify(id)}`);
    if (nodeIds.has(id)) problems.push(`${at}.id: duplicate NUMA node id ${id}`);
    nodeIds.add(id);
    const memory = parseQuantityField(raw['memory'] ?? '0', `${at}.memory`, problems);
    const hugepages = new Map<string, Quantity>();
    const rawHuge = raw['hugepages'] ?? {};
    if (!isObject(rawHuge)) problems.push(`${at}.hugepages: must be an object`);
    else {
      for (const [size, total] of Object.entries(rawHuge)) {
        if (!HUGEPAGE_SIZES.has(size)) problems.push(`${at}.hugepages: unknown page size "${size}" (valid: 2Mi, 1Gi)`);
        const q = parseQuantityField(total, `${at}.hugepages[${size}]`, problems);
        if (q) hugepages.set(size, q);
      }
    }
    const distances = new Map<number, number>();
    const rawDist = raw['distances'] ?? {};
    if (!isObject(rawDist)) problems.push(`${at}.distances: must be an object`);
    else {
      for (const [to, d] of Object.entries(rawDist)) {
        const toId = Number(to);
        if (!/^\d+$/.test(to)) problems.push(`${at}.distances: key "${to}" is not a NUMA node id`);
        else if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)
          problems.push(`${at}.distances[${to}]: must be a positive integer, got ${JSON.stringify(d)}`);
        else distances.set(toId, d);
      }
    }
    numaNodes.push({ id, memory: memory ?? Quantity.zero('BinarySI'), hugepages, distances });
  });
  numaNodes.forEach((node, i) => {
    for (const to of node.distances.keys()) {
      if (!nodeIds.has(to)) problems.push(`numaNodes[${i}].distances: unknown NUMA node ${to}`);
    }
  });

  const cpus: MachineCPU[] = [];
  const cpuIds = new Set<number>();
  (rawCpus as unknown[]).forEach((raw, i) => {
    const at = `cpus[${i}]`;
    if (!isObject(raw)) return void problems.push(`${at}: must be an object`);
    const fields = ['id', 'core', 'socket', 'numa'] as const;
    const values: Partial<Record<(typeof fields)[number], number>> = {};
    for (const f of fields) {
      const v = raw[f];
      if (isId(v)) values[f] = v;
      else problems.push(`${at}.${f}: must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    const { id, core, socket, numa } = values;
    if (id === undefined || core === undefined || socket === undefined || numa === undefined) return;
    if (cpuIds.has(id)) problems.push(`${at}.id: duplicate cpu id ${id}`);
    cpuIds.add(id);
    if (!nodeIds.has(numa)) problems.push(`${at}.numa: unknown NUMA node ${numa}`);
    cpus.push({ id, core, socket, numa });
  });
  if (cpus.length === 0 && problems.length === 0) problems.push('cpus: the machine has no CPUs');

  if (problems.length > 0) throw new MachineInfoError(source, problems);
  cpus.sort((a, b) => a.id - b.id);
  numaNodes.sort((a, b) => a.id - b.id);
  return { cpus, numaNodes };
}

/** The JSON form (quantities as canonical strings, keys sorted by id). */
export function machineInfoToJSON(machine: MachineInfo): object {
  return {
    cpus: machine.cpus.map(({ id, core, socket, numa }) => ({ id, core, socket, numa })),
    numaNodes: machine.numaNodes.map((n) => ({
      id: n.id,
      memory: n.memory.toString(),
      ...(n.hugepages.size > 0 ? { hugepages: Object.fromEntries([...n.hugepages].map(([k, q]) => [k, q.toString()])) } : {}),
      ...(n.distances.size > 0
        ? { distances: Object.fromEntries([...n.distances].sort(([a], [b]) => a - b).map(([k, d]) => [String(k), d])) }
        : {}),
    })),
  };
}

function parseQuantityField(value: unknown, at: string, problems: string[]): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    problems.push(`${at}: must be a quantity string, got ${JSON.stringify(value)}`);
    return undefined;
  }
  const q = Quantity.tryParse(String(value));
  if (!q) problems.push(`${at}: invalid quantity "${value}"`);
  else if (q.sign() < 0) problems.push(`${at}: must not be negative, got "${value}"`);
  return q;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1 << 16;
}
