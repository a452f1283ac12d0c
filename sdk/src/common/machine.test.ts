import { describe, expect, it } from 'vitest';
import { MachineInfoError, machineInfoToJSON, parseMachineInfo } from './machine.js';

const dualNode = {
  cpus: [
    { id: 1, core: 0, socket: 0, numa: 0 },
    { id: 0, core: 0, socket: 0, numa: 0 },
    { id: 2, core: 1, socket: 1, numa: 1 },
    { id: 3, core: 1, socket: 1, numa: 1 },
  ],
  numaNodes: [
    { id: 1, memory: '64Gi', distances: { '0': 21, '1': 10 } },
    { id: 0, memory: '64Gi', hugepages: { '2Mi': '0', '1Gi': '4Gi' }, distances: { '0': 10, '1': 21 } },
  ],
};

describe('parseMachineInfo', () => {
  it('reads and sorts a topology, and prints it back in the machine JSON format', () => {
    const machine = parseMachineInfo(dualNode);
    expect(machine.cpus.map((c) => c.id)).toEqual([0, 1, 2, 3]);
    expect(machine.numaNodes[0]?.hugepages.get('1Gi')?.toString()).toBe('4Gi');
    expect(machine.numaNodes[1]?.distances.get(0)).toBe(21);
    expect(machineInfoToJSON(machine)).toEqual({
      cpus: [
        { id: 0, core: 0, socket: 0, numa: 0 },
        { id: 1, core: 0, socket: 0, numa: 0 },
        { id: 2, core: 1, socket: 1, numa: 1 },
        { id: 3, core: 1, socket: 1, numa: 1 },
      ],
      numaNodes: [
        { id: 0, memory: '64Gi', hugepages: { '2Mi': '0', '1Gi': '4Gi' }, distances: { '0': 10, '1': 21 } },
        { id: 1, memory: '64Gi', distances: { '0': 21, '1': 10 } },
      ],
    });
  });

  it.each([
    ['duplicate cpu ids', { ...dualNode, cpus: [...dualNode.cpus, { id: 3, core: 1, socket: 1, numa: 1 }] }, 'cpus[4].id: duplicate cpu id 3'],
    ['unknown NUMA node', { ...dualNode, cpus: [{ id: 0, core: 0, socket: 0, numa: 7 }] }, 'cpus[0].numa: unknown NUMA node 7'],
    ['bad memory', { cpus: dualNode.cpus, numaNodes: [{ id: 0, memory: '10Q' }, { id: 1, memory: '1Gi' }] }, 'numaNodes[0].memory: invalid quantity "10Q"'],
    ['distance to nowhere', { cpus: [{ id: 0, core: 0, socket: 0, numa: 0 }], numaNodes: [{ id: 0, memory: '1Gi', distances: { '5': 20 } }] }, 'numaNodes[0].distances: unknown NUMA node 5'],
    ['odd hugepage size', { cpus: [{ id: 0, core: 0, socket: 0, numa: 0 }], numaNodes: [{ id: 0, memory: '1Gi', hugepages: { '4Ki': '1' } }] }, 'unknown page size "4Ki"'],
    ['not an object', [1, 2], 'not a JSON object'],
    ['missing cpus', { numaNodes: [] }, 'cpus: must be a list'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => parseMachineInfo(input, 'machine.json')).toThrow(MachineInfoError);
    expect(() => parseMachineInfo(input, 'machine.json')).toThrow(message);
  });
});
