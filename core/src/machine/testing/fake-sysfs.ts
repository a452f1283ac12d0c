import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CPUSet, Quantity } from '@kernelet/sdk/common';

/** A machine in the JSON format, as fixtures hold it. */
export interface MachineJSON {
  cpus: { id: number; core: number; socket: number; numa: number }[];
  numaNodes: { id: number; memory: string; hugepages?: Record<string, string>; distances?: Record<string, number> }[];
}

export interface FakeSysfsQuirks {
  /** CPUs present in sysfs but offline (they must not show up). */
  offlineCpus?: { id: number; socket: number; numa: number }[];
  /** Mark offline CPUs through cpuN/online files instead of the cpu/online list. */
  perCpuOnlineFiles?: boolean;
  /** No sys/devices/system/node: a kernel without NUMA (the machine must have one node 0). */
  withoutNodeDir?: boolean;
  /** Extra hugepage sizes (KiB to page count) on every node, which the machine format does not carry. */
  otherHugepageSizesKiB?: Record<number, number>;
  /** Distance rows one entry short on node 0. */
  brokenDistanceRow?: boolean;
}

const SIZE_KIB: Record<string, number> = { '2Mi': 2048, '1Gi': 1048576 };

/**
 * Writes a sys/ and proc/ tree, as real files in a temp dir, that a Linux kernel would
 * show for the machine. Core ids are written as the machine gives them (kernels repeat
 * them per socket; the fixtures number them machine-wide, which a kernel may show too).
 */
export async function writeFakeSysfs(machine: MachineJSON, quirks: FakeSysfsQuirks = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kernelet-sysfs-'));
  const put = async (path: string, text: string): Promise<void> => {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, `${text}\n`);
  };

  const offline = quirks.offlineCpus ?? [];
  const all = [...machine.cpus.map((c) => ({ id: c.id, socket: c.socket, numa: c.numa, coreId: c.core })), ...offline.map((c) => ({ ...c, coreId: 900 + c.id }))];
  for (const cpu of all) {
    await put(`sys/devices/system/cpu/cpu${cpu.id}/topology/core_id`, String(cpu.coreId));
    await put(`sys/devices/system/cpu/cpu${cpu.id}/topology/physical_package_id`, String(cpu.socket));
    if (quirks.perCpuOnlineFiles && cpu.id !== 0) await put(`sys/devices/system/cpu/cpu${cpu.id}/online`, offline.some((o) => o.id === cpu.id) ? '0' : '1');
  }
  if (!quirks.perCpuOnlineFiles) await put('sys/devices/system/cpu/online', CPUSet.from(machine.cpus.map((c) => c.id)).toString());

  const kib = (q: string): bigint => Quantity.parse(q).value() / 1024n;
  if (quirks.withoutNodeDir) {
    const node = machine.numaNodes[0];
    if (node === undefined || machine.numaNodes.length !== 1) throw new Error('a machine without a node directory has exactly one NUMA node');
    await put('proc/meminfo', `MemTotal:       ${kib(node.memory)} kB\nMemFree:        1024 kB\nHugePages_Total:       0`);
    for (const [size, total] of Object.entries(node.hugepages ?? {})) {
      await put(`sys/kernel/mm/hugepages/hugepages-${SIZE_KIB[size]}kB/nr_hugepages`, String(kib(total) / BigInt(SIZE_KIB[size] ?? 1)));
    }
    return root;
  }

  const ids = machine.numaNodes.map((n) => n.id).sort((a, b) => a - b);
  await put('sys/devices/system/node/online', CPUSet.from(ids).toString());
  await put('sys/devices/system/node/possible', CPUSet.from(ids).toString());
  await put('proc/meminfo', `MemTotal:       ${machine.numaNodes.reduce((sum, n) => sum + kib(n.memory), 0n)} kB`);
  for (const node of machine.numaNodes) {
    const dir = `sys/devices/system/node/node${node.id}`;
    const cpus = [...machine.cpus.filter((c) => c.numa === node.id), ...offline.filter((c) => c.numa === node.id)].map((c) => c.id);
    await put(`${dir}/cpulist`, CPUSet.from(cpus).toString());
    await put(`${dir}/meminfo`, `Node ${node.id} MemTotal:       ${kib(node.memory)} kB\nNode ${node.id} MemFree:        1024 kB`);
    for (const [size, total] of Object.entries(node.hugepages ?? {})) {
      await put(`${dir}/hugepages/hugepages-${SIZE_KIB[size]}kB/nr_hugepages`, String(kib(total) / BigInt(SIZE_KIB[size] ?? 1)));
    }
    for (const [sizeKiB, pages] of Object.entries(quirks.otherHugepageSizesKiB ?? {})) await put(`${dir}/hugepages/hugepages-${sizeKiB}kB/nr_hugepages`, String(pages));
    if (node.distances !== undefined) {
      let row = ids.map((to) => node.distances?.[String(to)] ?? 0);
      if (quirks.brokenDistanceRow && node.id === ids[0]) row = row.slice(1);
      await put(`${dir}/distance`, row.join(' '));
    }
  }
  return root;
}
