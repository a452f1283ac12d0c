import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CPUSet, MachineInfoError, Quantity, type MachineCPU, type MachineInfo, type MachineNUMANode } from '@kernelet/sdk/common';
import { pino, type Logger } from 'pino';
import { checkMachineInfo } from './check-machine-info.js';

/** Page sizes the machine JSON knows, by their sysfs directory size in KiB. */
const HUGEPAGE_SIZES_KIB = new Map<number, string>([
  [2048, '2Mi'],
  [1048576, '1Gi'],
]);

/**
 * Discovers the machine from sysfs and procfs under `root` (normally "/"; tests pass a
 * temp dir holding a fake sys/ and proc/ tree):
 *
 * - CPUs: sys/devices/system/cpu/cpuN, skipping offline ones (cpu/online list, else
 *   cpuN/online), with topology/core_id and topology/physical_package_id;
 * - NUMA nodes: sys/devices/system/node/nodeN with cpulist, meminfo (MemTotal),
 *   hugepages/hugepages-<size>kB/nr_hugepages and distance (one entry per online
 *   node, in id order);
 * - no node directory (a kernel without NUMA): one node 0 holding every CPU, memory
 *   from proc/meminfo and hugepages from sys/kernel/mm/hugepages.
 *
 * Core ids are kept as sysfs gives them (they repeat per socket; see checkMachineInfo).
 */
export async function readSysfsMachine(root = '/', logger: Logger = pino({ level: 'silent' })): Promise<MachineInfo> {
  const cpuDir = join(root, 'sys/devices/system/cpu');
  const nodeDir = join(root, 'sys/devices/system/node');

  let cpuEntries: string[];
  try {
    cpuEntries = (await readdir(cpuDir)).filter((name) => /^cpu\d+$/.test(name));
  } catch (err) {
    throw new MachineInfoError(cpuDir, [`cannot list CPUs: ${(err as Error).message}`]);
  }
  const onlineList = await readOptional(join(cpuDir, 'online'));
  const online = onlineList === undefined ? undefined : parseList(onlineList, join(cpuDir, 'online'));

  const topology = new Map<number, { core: number; socket: number }>();
  for (const entry of cpuEntries) {
    const id = Number(entry.slice(3));
    if (online !== undefined ? !online.has(id) : (await readOptional(join(cpuDir, entry, 'online'))) === '0') {
      logger.debug({ cpu: id }, 'skipping offline CPU');
      continue;
    }
    const coreText = await readOptional(join(cpuDir, entry, 'topology/core_id'));
    const socketText = await readOptional(join(cpuDir, entry, 'topology/physical_package_id'));
    if (coreText === undefined || socketText === undefined) {
      logger.warn({ cpu: id }, 'skipping CPU without topology information');
      continue;
    }
    const core = parseInteger(coreText, join(cpuDir, entry, 'topology/core_id'));
    let socket = parseInteger(socketText, join(cpuDir, entry, 'topology/physical_package_id'));
    if (socket < 0) {
      logger.warn({ cpu: id, physicalPackageId: socket }, 'CPU reports no socket, counting it in socket 0');
      socket = 0;
    }
    topology.set(id, { core, socket });
  }
  if (topology.size === 0) throw new MachineInfoError(cpuDir, ['no online CPU with topology information']);

  const nodeEntries = (await readOptionalDir(nodeDir)).filter((name) => /^node\d+$/.test(name));
  const nodes = nodeEntries.length > 0 ? await readNodes(nodeDir, nodeEntries, logger) : await readFlatMachine(root, topology, logger);

  const cpus: MachineCPU[] = [];
  for (const [id, { core, socket }] of topology) {
    const node = nodes.find((n) => n.cpus.has(id));
    if (node === undefined) {
      logger.warn({ cpu: id }, 'skipping CPU that belongs to no NUMA node');
      continue;
    }
    cpus.push({ id, core, socket, numa: node.info.id });
  }
  cpus.sort((a, b) => a.id - b.id);
  const numaNodes = nodes.map((n) => n.info).sort((a, b) => a.id - b.id);
  return checkMachineInfo({ cpus, numaNodes }, root);
}

interface DiscoveredNode {
  info: MachineNUMANode;
  cpus: CPUSet;
}

async function readNodes(nodeDir: string, entries: string[], logger: Logger): Promise<DiscoveredNode[]> {
  const ids = entries.map((e) => Number(e.slice(4))).sort((a, b) => a - b);
  const onlineText = await readOptional(join(nodeDir, 'online'));
  const onlineNodes = onlineText === undefined ? ids : [...parseList(onlineText, join(nodeDir, 'online'))];
  const nodes: DiscoveredNode[] = [];
  for (const id of ids) {
    const dir = join(nodeDir, `node${id}`);
    const cpulist = await readOptional(join(dir, 'cpulist'));
    const cpus = cpulist !== undefined ? parseList(cpulist, join(dir, 'cpulist')) : CPUSet.from((await readOptionalDir(dir)).filter((n) => /^cpu\d+$/.test(n)).map((n) => Number(n.slice(3))));

    let memory = Quantity.zero('BinarySI');
    const meminfo = await readOptional(join(dir, 'meminfo'));
    const total = meminfo === undefined ? undefined : /MemTotal:\s*(\d+) kB/.exec(meminfo)?.[1];
    if (total === undefined) logger.warn({ numaNode: id, path: join(dir, 'meminfo') }, 'NUMA node without memory information, counting 0');
    else memory = kibibytes(BigInt(total));

    const hugepages = await readHugepages(join(dir, 'hugepages'), logger);

    const distances = new Map<number, number>();
    const distanceText = await readOptional(join(dir, 'distance'));
    if (distanceText !== undefined) {
      const row = distanceText.split(/\s+/).filter(Boolean).map((d) => parseInteger(d, join(dir, 'distance')));
      if (row.length !== onlineNodes.length)
        logger.warn({ numaNode: id, distances: row.length, onlineNodes: onlineNodes.length }, 'NUMA distance row does not match the online nodes, ignoring it');
      else row.forEach((d, i) => distances.set(onlineNodes[i] as number, d));
    }
    nodes.push({ info: { id, memory, hugepages, distances }, cpus });
  }
  // A distance matrix with holes helps no one: keep distances only when complete.
  const complete = nodes.every((n) => nodes.every((to) => n.info.distances.has(to.info.id)));
  if (!complete && nodes.some((n) => n.info.distances.size > 0)) {
    logger.warn('incomplete NUMA distance matrix, leaving distances out');
    for (const n of nodes) (n.info.distances as Map<number, number>).clear();
  }
  return nodes;
}

async function readFlatMachine(root: string, topology: ReadonlyMap<number, unknown>, logger: Logger): Promise<DiscoveredNode[]> {
  const meminfoPath = join(root, 'proc/meminfo');
  const meminfo = await readOptional(meminfoPath);
  const total = meminfo === undefined ? undefined : /MemTotal:\s*(\d+) kB/.exec(meminfo)?.[1];
  if (total === undefined) throw new MachineInfoError(meminfoPath, ['no MemTotal line: cannot size the only NUMA node']);
  logger.debug('no NUMA node directory: one node 0 with every CPU');
  const hugepages = await readHugepages(join(root, 'sys/kernel/mm/hugepages'), logger);
  return [
    {
      info: { id: 0, memory: kibibytes(BigInt(total)), hugepages, distances: new Map([[0, 10]]) },
      cpus: CPUSet.from(topology.keys()),
    },
  ];
}

async function readHugepages(dir: string, logger: Logger): Promise<Map<string, Quantity>> {
  const entries = await readOptionalDir(dir);
  for (const entry of entries) {
    const kib = /^hugepages-(\d+)kB$/.exec(entry)?.[1];
    if (kib !== undefined && !HUGEPAGE_SIZES_KIB.has(Number(kib)))
      logger.debug({ path: join(dir, entry) }, 'skipping a hugepage size the machine format does not carry');
  }
  // Known sizes in a fixed order (2Mi, then 1Gi), whatever order the directory lists them in.
  const sizes = new Map<string, Quantity>();
  for (const [kib, name] of HUGEPAGE_SIZES_KIB) {
    if (!entries.includes(`hugepages-${kib}kB`)) continue;
    const nrPath = join(dir, `hugepages-${kib}kB`, 'nr_hugepages');
    const nr = await readOptional(nrPath);
    if (nr === undefined) continue;
    sizes.set(name, kibibytes(BigInt(parseInteger(nr, nrPath)) * BigInt(kib)));
  }
  return sizes;
}

function kibibytes(kib: bigint): Quantity {
  return Quantity.fromValue(kib * 1024n, 'BinarySI');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MachineInfoError(path, [`cannot read: ${(err as Error).message}`]);
  }
}

async function readOptionalDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw new MachineInfoError(path, [`cannot list: ${(err as Error).message}`]);
  }
}

function parseInteger(text: string, path: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new MachineInfoError(path, [`not an integer: ${JSON.stringify(text)}`]);
  return Number(text.trim());
}

function parseList(text: string, path: string): CPUSet {
  try {
    return CPUSet.parse(text.trim());
  } catch (err) {
    throw new MachineInfoError(path, [`not a CPU/node list: ${JSON.stringify(text)} (${(err as Error).message})`]);
  }
}
