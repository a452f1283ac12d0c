import { forEachMask, maskIds, maskOf, type NUMAMask } from '@kernelet/sdk/common';
import { seededRandom } from '@kernelet/sdk/testing';
import { describe, expect, it } from 'vitest';

import { sameNodes } from '../state/machine-state.js';
import type { MemoryType, NUMANodeMap } from '../state/memory-state.js';
import { RequestFit, type ReusableByMask } from './request-fit.js';

const GiB = 1024 ** 3;

/** The hint test restated node by node over the machine state, as the policy once computed it (tests only). */
function referenceFits(state: NUMANodeMap, requests: ReadonlyMap<MemoryType, number>, reusable: ReusableByMask | undefined, mask: NUMAMask): boolean {
  const ids = maskIds(mask);
  const total = (type: MemoryType, field: 'free' | 'allocatable') => ids.reduce((sum, id) => sum + (state.get(id)?.memoryMap.get(type)?.[field] ?? 0), 0);
  if ([...requests].some(([type, size]) => total(type, 'allocatable') < size)) return false;
  if (ids.some((id) => !state.has(id))) return false;
  if (ids.length === 1) {
    if ((state.get(ids[0] as number)?.cells.length ?? 0) > 1) return false;
  } else {
    for (const id of ids) {
      const node = state.get(id);
      if (!node || node.numberOfAssignments === 0) continue;
      if (node.cells.length === 1 || !sameNodes(node.cells, ids)) return false;
    }
  }
  return [...requests].every(([type, size]) => total(type, 'free') + (reusable?.get(mask)?.get(type) ?? 0) >= size);
}

function referenceAllocatableFits(state: NUMANodeMap, requests: ReadonlyMap<MemoryType, number>, mask: NUMAMask): boolean {
  const ids = maskIds(mask);
  return [...requests].every(([type, size]) => ids.reduce((sum, id) => sum + (state.get(id)?.memoryMap.get(type)?.allocatable ?? 0), 0) >= size);
}

/**
 * A machine state of up to 9 nodes with gaps in the ids, uneven memory, hugepages on
 * some nodes, single-node assignments, groups (some odd: duplicate cells, a missing
 * node, no cells, a negative count), and some memory left by init containers.
 */
function randomCase(next: () => number) {
  const int = (n: number) => Math.floor(next() * n);
  const state: NUMANodeMap = new Map();
  const maxId = 2 + int(8);
  for (let id = 0; id <= maxId; id++) {
    if (id > 0 && next() < 0.15) continue;
    const memoryMap = new Map<MemoryType, { total: number; systemReserved: number; allocatable: number; reserved: number; free: number }>();
    const allocatable = (1 + int(8)) * GiB;
    const reserved = int(5) * GiB;
    memoryMap.set('memory', { total: allocatable, systemReserved: 0, allocatable, reserved: Math.min(reserved, allocatable), free: Math.max(allocatable - reserved, 0) });
    if (next() < 0.5) memoryMap.set('hugepages-1Gi', { total: 2 * GiB, systemReserved: 0, allocatable: 2 * GiB, reserved: int(2) * GiB, free: (2 - int(2)) * GiB });
    state.set(id, { numberOfAssignments: next() < 0.2 ? 1 + int(3) : 0, memoryMap, cells: [id] });
  }
  const ids = [...state.keys()];
  for (let g = int(3); g > 0; g--) {
    const members = ids.filter(() => next() < 0.3);
    if (members.length < 2) continue;
    const oddity = next();
    const cells = oddity < 0.1 ? [...members, members[0] as number] : oddity < 0.2 ? [...members, maxId + 1] : oddity < 0.25 ? [] : members;
    for (const id of members) Object.assign(state.get(id) ?? {}, { numberOfAssignments: oddity < 0.3 ? -1 : 1 + int(2), cells });
  }
  const requests = new Map<MemoryType, number>([['memory', (1 + int(8)) * GiB]]);
  if (next() < 0.4) requests.set('hugepages-1Gi', (1 + int(3)) * GiB);
  // Left by init containers on some sets of nodes that have the room in allocatable memory, where it can matter.
  let reusable: Map<NUMAMask, Map<MemoryType, number>> | undefined;
  if (next() < 0.5) {
    reusable = new Map();
    forEachMask(ids, (mask) => {
      if (next() < 0.2 && referenceAllocatableFits(state, requests, mask)) {
        reusable?.set(mask, new Map([...requests].map(([type, size]) => [type, int(1 + size / GiB) * GiB])));
      }
    });
  }
  return { state, requests, reusable, maxId };
}

describe('RequestFit', () => {
  it('agrees with the node-by-node test on every mask of random machine states, missing nodes included', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { state, requests, reusable, maxId } = randomCase(seededRandom(seed));
      const fit = new RequestFit(state, requests, reusable);
      // Masks over one id past the machine too: a group may name a node that is not there.
      for (let mask = 1n; mask < 1n << BigInt(maxId + 2); mask++) {
        const where = `seed ${seed}, nodes [${maskIds(mask).join(',')}]`;
        expect(fit.fits(mask), where).toBe(referenceFits(state, requests, reusable, mask));
        expect(fit.allocatableFits(mask), where).toBe(referenceAllocatableFits(state, requests, mask));
      }
    }
  });

  it('keeps a group of several nodes to exactly its nodes and a grouped node out of single-node masks', () => {
    const node = (assignments: number, cells: number[]) => ({
      numberOfAssignments: assignments,
      cells,
      memoryMap: new Map([['memory', { total: 4 * GiB, systemReserved: 0, allocatable: 4 * GiB, reserved: 0, free: 4 * GiB }]]),
    });
    const state: NUMANodeMap = new Map([
      [0, node(1, [0, 1])],
      [1, node(1, [0, 1])],
      [2, node(1, [2])],
      [3, node(0, [3])],
    ]);
    const fit = new RequestFit(state, new Map([['memory', GiB]]), undefined);
    expect([[0], [1], [2], [3], [0, 1], [0, 1, 3], [2, 3], [0, 3]].map((ids) => fit.fits(maskOf(ids)))).toEqual([false, false, true, true, true, false, false, false]);
  });

  it('counts what init containers left on exactly these nodes as free', () => {
    const table = { total: 4 * GiB, systemReserved: 0, allocatable: 4 * GiB, reserved: 3 * GiB, free: GiB };
    const state: NUMANodeMap = new Map([0, 1].map((id) => [id, { numberOfAssignments: 0, cells: [id], memoryMap: new Map([['memory', { ...table }]]) }]));
    const fit = new RequestFit(state, new Map([['memory', 3 * GiB]]), new Map([[maskOf([0]), new Map([['memory', 2 * GiB]])]]));
    expect([[0], [1], [0, 1]].map((ids) => fit.fits(maskOf(ids)))).toEqual([true, false, false]);
  });
});
