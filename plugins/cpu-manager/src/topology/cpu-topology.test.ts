import { parseMachineInfo } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { CPUTopology } from './cpu-topology.js';

const machine = (cpus: { id: number; core: number; socket: number; numa: number }[]) =>
  parseMachineInfo({ cpus, numaNodes: [{ id: 0, memory: '1Gi' }, { id: 1, memory: '1Gi' }] });

describe('CPUTopology.fromMachine', () => {
  it('keys cores by socket, so per-socket core ids stay apart', () => {
    const topo = CPUTopology.fromMachine(
      machine([
        { id: 0, core: 0, socket: 0, numa: 0 },
        { id: 1, core: 0, socket: 1, numa: 1 },
        { id: 2, core: 0, socket: 0, numa: 0 },
        { id: 3, core: 0, socket: 1, numa: 1 },
      ]),
    );
    expect(topo.numCores).toBe(2);
    expect(topo.cpusInCore(topo.info(3).core)).toEqual([1, 3]);
  });

  it('counts a core whose threads sit on two NUMA nodes once per node, as cadvisor does', () => {
    const topo = CPUTopology.fromMachine(
      machine([
        { id: 0, core: 7, socket: 0, numa: 0 },
        { id: 1, core: 7, socket: 0, numa: 1 },
      ]),
    );
    expect(topo.numCores).toBe(2);
    expect(topo.cpusInCore(topo.info(1).core)).toEqual([1]);
    expect(topo.cpusPerCore).toBe(1);
  });
});
