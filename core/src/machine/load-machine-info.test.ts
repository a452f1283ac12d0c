import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MachineInfoError, machineInfoToJSON } from '@kernelet/sdk/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMachineInfo } from './load-machine-info.js';
import { writeFakeSysfs } from './testing/fake-sysfs.js';
import { readTopologyFixture, TOPOLOGY_FIXTURES, topologyFixturePath } from './testing/topology-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kernelet-machine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function machineFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const twoCores = {
  cpus: [
    { id: 0, core: 0, socket: 0, numa: 0 },
    { id: 1, core: 0, socket: 1, numa: 1 },
    { id: 2, core: 0, socket: 0, numa: 0 },
    { id: 3, core: 0, socket: 1, numa: 1 },
  ],
  numaNodes: [
    { id: 0, memory: '1Gi', distances: { '0': 10, '1': 20 } },
    { id: 1, memory: '1Gi', distances: { '0': 20, '1': 10 } },
  ],
};

describe('loadMachineInfo', () => {
  it.each(TOPOLOGY_FIXTURES)('loads the %s fixture unchanged', async (name) => {
    const machine = await loadMachineInfo({ machineInfoFile: topologyFixturePath(name) });
    expect(machineInfoToJSON(machine)).toEqual(readTopologyFixture(name));
  });

  it('reads sysfs under sysRoot when no file is given', async () => {
    const root = await writeFakeSysfs(readTopologyFixture('no-ht'));
    try {
      expect(machineInfoToJSON(await loadMachineInfo({ sysRoot: root }))).toEqual(readTopologyFixture('no-ht'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps core ids as the file gives them, repeating per socket', async () => {
    const machine = await loadMachineInfo({ machineInfoFile: await machineFile('per-socket.json', twoCores) });
    expect(machineInfoToJSON(machine)).toEqual(twoCores);
  });

  it('accepts a core whose threads sit on different NUMA nodes, as upstream', async () => {
    const split = { ...twoCores, cpus: [{ id: 0, core: 0, socket: 0, numa: 0 }, { id: 1, core: 0, socket: 0, numa: 1 }] };
    const machine = await loadMachineInfo({ machineInfoFile: await machineFile('split-core.json', split) });
    expect(machineInfoToJSON(machine)).toEqual(split);
  });

  it.each([
    ['a missing file', undefined, 'cannot read: ENOENT'],
    ['broken JSON', '{"cpus": [', 'not valid JSON'],
    ['a misspelt field', { ...twoCores, numa_nodes: [] }, 'numa_nodes: unknown field (want cpus, numaNodes)'],
    ['a misspelt CPU field', { ...twoCores, cpus: [{ id: 0, core: 0, socket: 0, node: 0, numa: 0 }] }, 'cpus[0].node: unknown field (want id, core, socket, numa)'],
    ['a bad quantity', { ...twoCores, numaNodes: [{ id: 0, memory: 'lots' }, { id: 1, memory: '1Gi' }] }, 'numaNodes[0].memory: invalid quantity "lots"'],
    ['duplicate CPU ids', { ...twoCores, cpus: [...twoCores.cpus, { id: 2, core: 1, socket: 0, numa: 0 }] }, 'cpus[4].id: duplicate cpu id 2'],
    [
      'a distance matrix with holes',
      { ...twoCores, numaNodes: [{ id: 0, memory: '1Gi', distances: { '0': 10, '1': 20 } }, { id: 1, memory: '1Gi' }] },
      'numaNodes (id 1).distances: no distance to NUMA nodes 0,1',
    ],
  ])('refuses %s, naming the file and field', async (name, content, message) => {
    const path = content === undefined ? join(dir, 'absent.json') : await machineFile(`${name.replace(/\W+/g, '-')}.json`, content);
    const load = loadMachineInfo({ machineInfoFile: path });
    await expect(load).rejects.toThrow(MachineInfoError);
    await expect(loadMachineInfo({ machineInfoFile: path })).rejects.toThrow(`${path}: `);
    await expect(loadMachineInfo({ machineInfoFile: path })).rejects.toThrow(message);
  });
});
