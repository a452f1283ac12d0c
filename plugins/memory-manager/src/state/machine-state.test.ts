import { describe, expect, it } from 'vitest';

import { fromMachineState, toAssignments, toMachineState, type CompactAssignments, type CompactMachineState } from '../fixtures.test-support.js';
import { diffMachineStates, placeAssignments } from './machine-state.js';

const twoFree: CompactMachineState = {
  '0': { cells: [0], memory: ['4Gi', '1Gi', '3Gi', '0', '3Gi'], 'hugepages-1Gi': ['2Gi', '0', '2Gi', '0', '2Gi'] },
  '1': { cells: [1], memory: ['4Gi', '1Gi', '3Gi', '0', '3Gi'] },
};

const threeFree: CompactMachineState = { ...twoFree, '2': { cells: [2], memory: ['4Gi', '1Gi', '3Gi', '0', '3Gi'] } };

describe('placeAssignments', () => {
  it('takes single-node memory on a node of a group, as upstream places it (kubernetes#113035)', () => {
    const entries = toAssignments({
      group: { c: [['memory', [0, 1], '4Gi']] },
      single: { c: [['memory', [1], '1Gi']] },
    });
    const { state, conflicts } = placeAssignments(toMachineState(twoFree), entries);
    expect(conflicts).toEqual([]);
    expect(fromMachineState(state)).toMatchObject({
      '0': { assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '3Gi', '0'] },
      '1': { assignments: 2, memory: ['4Gi', '1Gi', '3Gi', '2Gi', '1Gi'] },
    });
  });

  it('places blocks in a fixed order, filling a group node by node', () => {
    const entries = toAssignments({
      b: { c: [['memory', [0, 1], '4Gi']] },
      a: { c: [['memory', [0, 1], '1Gi']] },
    });
    const { state, conflicts } = placeAssignments(toMachineState(twoFree), entries);
    expect(conflicts).toEqual([]);
    expect(fromMachineState(state)).toMatchObject({
      '0': { cells: [0, 1], assignments: 2, memory: ['4Gi', '1Gi', '3Gi', '3Gi', '0'] },
      '1': { cells: [0, 1], assignments: 2, memory: ['4Gi', '1Gi', '3Gi', '2Gi', '1Gi'] },
    });
  });

  it.each<[string, CompactAssignments, string, string]>([
    ['a NUMA node the machine lacks', { p: { c: [['memory', [5], '1Gi']] } }, 'entries["p"]["c"][0].numaAffinity', 'NUMA node 5 does not exist on this machine (nodes: 0, 1, 2)'],
    ['a memory type the node lacks', { p: { c: [['hugepages-1Gi', [1], '1Gi']] } }, 'entries["p"]["c"][0].type', 'NUMA node 1 has no hugepages-1Gi'],
    [
      'a node in two groups',
      { p: { a: [['memory', [0, 1], '1Gi']], b: [['memory', [1, 2], '1Gi']] } },
      'entries["p"]["b"][0].numaAffinity',
      'NUMA nodes [1,2] overlap the group [0,1] of entries["p"]["a"][0]; a NUMA node can be part of only one group',
    ],
    ['more than the nodes have', { p: { c: [['memory', [0], '2Gi']], d: [['memory', [0], '2Gi']] } }, 'entries["p"]["d"][0].size', '2Gi of memory does not fit: NUMA node(s) 0 have 3Gi allocatable, 1Gi of it left for this block'],
  ])('reports %s', (_name, assignments, field, problem) => {
    const { conflicts } = placeAssignments(toMachineState(threeFree), toAssignments(assignments));
    expect(conflicts).toEqual([{ podUID: 'p', containerName: field.split('"')[3], field, problem }]);
  });
});

describe('diffMachineStates', () => {
  const grouped: CompactMachineState = {
    '0': { cells: [0, 1], assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '3Gi', '0'] },
    '1': { cells: [0, 1], assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '1Gi', '2Gi'] },
  };

  it('ignores how a group splits its memory between nodes (kubernetes#113130)', () => {
    const split: CompactMachineState = {
      '0': { cells: [0, 1], assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '2Gi', '1Gi'] },
      '1': { cells: [0, 1], assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '2Gi', '1Gi'] },
    };
    expect(diffMachineStates(toMachineState(split), toMachineState(grouped))).toEqual([]);
  });

  it('names every field that differs', () => {
    const stored: CompactMachineState = {
      '0': { cells: [0], assignments: 2, memory: ['5Gi', '1Gi', '4Gi', '3Gi', '1Gi'] },
      '1': { cells: [0, 1], assignments: 1, memory: ['4Gi', '1Gi', '3Gi', '1Gi', '2Gi'], 'hugepages-2Mi': ['0', '0', '0', '0', '0'] },
    };
    expect(diffMachineStates(toMachineState(stored), toMachineState(grouped))).toEqual([
      { field: 'machineState["0"].numberOfAssignments', stored: '2', current: '1' },
      { field: 'machineState["0"].cells', stored: '[0]', current: '[0,1]' },
      { field: 'machineState["0"].memoryMap["memory"].total', stored: String(5 * 1024 ** 3), current: String(4 * 1024 ** 3) },
      { field: 'machineState["0"].memoryMap["memory"].allocatable', stored: String(4 * 1024 ** 3), current: String(3 * 1024 ** 3) },
      { field: 'machineState["0"].memoryMap["memory"].free', stored: String(1024 ** 3), current: '0' },
      { field: 'machineState["1"].memoryMap["hugepages-2Mi"]', stored: 'present', current: 'absent' },
      // free summed over node 1's group [0,1]: 1Gi + 2Gi stored, 0 + 2Gi expected
      { field: 'machineState["1"].memoryMap["memory"].free', stored: String(3 * 1024 ** 3), current: String(2 * 1024 ** 3) },
    ]);
  });
});
