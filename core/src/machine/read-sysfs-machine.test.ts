import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MachineInfoError, machineInfoToJSON } from '@kernelet/sdk/common';
import { afterEach, describe, expect, it } from 'vitest';
import { readSysfsMachine } from './read-sysfs-machine.js';
import { writeFakeSysfs, type FakeSysfsQuirks, type MachineJSON } from './testing/fake-sysfs.js';
import { readTopologyFixture, TOPOLOGY_FIXTURES } from './testing/topology-fixtures.js';

const roots: string[] = [];
async function fakeRoot(machine: MachineJSON, quirks?: FakeSysfsQuirks): Promise<string> {
  const root = await writeFakeSysfs(machine, quirks);
  roots.push(root);
  return root;
}
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

const dualSocket = readTopologyFixture('dual-socket-ht');

describe('reading the machine from sysfs', () => {
  it.each(TOPOLOGY_FIXTURES)('reads back %s from the sysfs tree a kernel would show', async (name) => {
    const fixture = readTopologyFixture(name);
    expect(machineInfoToJSON(await readSysfsMachine(await fakeRoot(fixture)))).toEqual(fixture);
  });

  it('keeps core ids as sysfs shows them, although they repeat per socket', async () => {
    // Cores 0-2 in each socket, as kernels number them: cpu 1 is core 0 of socket 1, like cpu 0 in socket 0.
    const perSocket: MachineJSON = { ...dualSocket, cpus: dualSocket.cpus.map((c) => ({ ...c, core: Math.floor((c.id % 6) / 2) })) };
    const machine = await readSysfsMachine(await fakeRoot(perSocket));
    expect(machine.cpus.find((c) => c.id === 1)).toEqual({ id: 1, core: 0, socket: 1, numa: 1 });
    expect(machine.cpus.find((c) => c.id === 7)).toEqual({ id: 7, core: 0, socket: 1, numa: 1 });
    expect(machineInfoToJSON(machine)).toEqual(perSocket);
  });

  it.each([
    ['listed in cpu/online', {}],
    ['marked in cpuN/online', { perCpuOnlineFiles: true }],
  ])('leaves offline CPUs out (%s)', async (_name, quirks: FakeSysfsQuirks) => {
    const root = await fakeRoot(dualSocket, { ...quirks, offlineCpus: [{ id: 12, socket: 0, numa: 0 }, { id: 13, socket: 1, numa: 1 }] });
    expect(machineInfoToJSON(await readSysfsMachine(root))).toEqual(dualSocket);
  });

  it('treats a kernel without NUMA as one node 0, sized from /proc/meminfo', async () => {
    const flat: MachineJSON = {
      cpus: [0, 1, 2, 3].map((id) => ({ id, core: id % 2, socket: 0, numa: 0 })),
      numaNodes: [{ id: 0, memory: '16418740Ki', hugepages: { '2Mi': '256Mi', '1Gi': '1Gi' }, distances: { '0': 10 } }],
    };
    expect(machineInfoToJSON(await readSysfsMachine(await fakeRoot(flat, { withoutNodeDir: true })))).toEqual(flat);
  });

  it('skips hugepage sizes the machine format does not carry', async () => {
    const root = await fakeRoot(dualSocket, { otherHugepageSizesKiB: { 64: 10, 32768: 2 } });
    expect(machineInfoToJSON(await readSysfsMachine(root))).toEqual(dualSocket);
  });

  it('leaves distances out rather than keep a matrix with holes', async () => {
    const machine = await readSysfsMachine(await fakeRoot(dualSocket, { brokenDistanceRow: true }));
    expect(machine.numaNodes.map((n) => n.distances.size)).toEqual([0, 0]);
  });

  it('counts a node without meminfo as having no memory', async () => {
    const root = await fakeRoot(dualSocket);
    await rm(join(root, 'sys/devices/system/node/node1/meminfo'));
    expect((await readSysfsMachine(root)).numaNodes[1]?.memory.toString()).toBe('0');
  });

  it.each([
    ['no sys tree at all', async (root: string) => rm(join(root, 'sys'), { recursive: true }), 'sys/devices/system/cpu: cannot list CPUs'],
    ['a core id that is not a number', async (root: string) => writeFile(join(root, 'sys/devices/system/cpu/cpu3/topology/core_id'), 'x\n'), 'cpu3/topology/core_id: not an integer: "x"'],
    ['a bad online list', async (root: string) => writeFile(join(root, 'sys/devices/system/cpu/online'), '3-1\n'), 'sys/devices/system/cpu/online: not a CPU/node list: "3-1"'],
    [
      'no MemTotal on a kernel without NUMA',
      async (root: string) => {
        await rm(join(root, 'sys/devices/system/node'), { recursive: true });
        await mkdir(join(root, 'proc'), { recursive: true });
        await writeFile(join(root, 'proc/meminfo'), 'MemFree: 1 kB\n');
      },
      'proc/meminfo: no MemTotal line',
    ],
  ])('fails clearly on %s', async (_name, damage, message) => {
    const root = await fakeRoot(dualSocket);
    await damage(root);
    await expect(readSysfsMachine(root)).rejects.toThrow(MachineInfoError);
    await expect(readSysfsMachine(root)).rejects.toThrow(message);
  });
});
