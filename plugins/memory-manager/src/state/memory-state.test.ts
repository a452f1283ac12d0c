import { describe, expect, it } from 'vitest';

import { fromAssignments, fromMachineState, toAssignments, toMachineState } from '../fixtures.test-support.js';
import { MemoryState, cloneMachineState } from './memory-state.js';

const machine = toMachineState({
  '0': { cells: [0], assignments: 1, memory: ['8Gi', '1Gi', '7Gi', '1Gi', '6Gi'] },
  '1': { cells: [1], memory: ['8Gi', '0', '8Gi', '0', '8Gi'] },
});
const assignments = toAssignments({ p: { init: [['memory', [0], '1Gi']] } });

function snapshot(state: MemoryState): unknown {
  return { machine: fromMachineState(state.machineState()), entries: fromAssignments(state.assignments()) };
}

/** The writes of an allocation with a reused init container, then of a release. */
function writeSome(state: MemoryState): void {
  const nodes = cloneMachineState(state.machineState());
  const node1 = nodes.get(1);
  if (!node1) throw new Error('no node 1');
  node1.numberOfAssignments = 2;
  node1.cells = [0, 1];
  state.setNodeStates(new Map([[1, node1]]));
  state.setMemoryBlocks('p', 'app', [{ numaAffinity: [0, 1], type: 'memory', size: 3 * 1024 ** 3 }]);
  state.setMemoryBlocks('p', 'init', [{ numaAffinity: [0], type: 'memory', size: 0 }]);
  state.setMemoryBlocks('q', 'app', [{ numaAffinity: [1], type: 'memory', size: 1024 }]);
  state.deleteContainer('p', 'init');
  state.setMemoryBlocks('q', 'app', [{ numaAffinity: [1], type: 'memory', size: 2048 }]);
}

describe('MemoryState', () => {
  it('undoes every write since recordUndo, leaving the state as it was', () => {
    const state = new MemoryState(machine, assignments);
    const before = snapshot(state);
    const version = state.version;
    state.recordUndo();
    writeSome(state);
    expect(snapshot(state)).not.toEqual(before);
    state.undo();
    expect(snapshot(state)).toEqual(before);
    expect(state.version).toBeGreaterThan(version);
    // recording stopped with the undo: later writes stay
    writeSome(state);
    state.undo();
    expect(snapshot(state)).not.toEqual(before);
  });

  it('keeps the writes when the undo is forgotten', () => {
    const state = new MemoryState(machine, assignments);
    state.recordUndo();
    writeSome(state);
    const after = snapshot(state);
    state.forgetUndo();
    state.undo();
    expect(snapshot(state)).toEqual(after);
  });

  it('keeps copies of what it is given', () => {
    const state = new MemoryState(machine, assignments);
    const nodes = cloneMachineState(state.machineState());
    const blocks = [{ numaAffinity: [1], type: 'memory', size: 1024 }];
    state.setNodeStates(nodes);
    state.setMemoryBlocks('q', 'app', blocks);
    const written = snapshot(state);
    (nodes.get(0) as { numberOfAssignments: number }).numberOfAssignments = 7;
    (blocks[0] as { size: number }).size = 1;
    (state.memoryBlocks('q', 'app')?.[0] as { size: number }).size = 2;
    expect(snapshot(state)).toEqual(written);
    expect(snapshot(new MemoryState(machine, assignments))).toEqual({ machine: fromMachineState(machine), entries: fromAssignments(assignments) });
  });
});
