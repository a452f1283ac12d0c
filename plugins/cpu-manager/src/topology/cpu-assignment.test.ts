import { describe, expect, it } from 'vitest';
import { CPUSet } from '@kernelet/sdk/common';
import { loadCases, loadTopology } from '../fixtures.test-helper.js';
import {
  CPUAllocationError,
  describeFreeUnits,
  forEachCombination,
  standardDeviation,
  takeByTopologyNUMADistributed,
  takeByTopologyNUMAPacked,
} from './cpu-assignment.js';

interface TakeCase {
  name: string;
  only?: 'packed';
  topology: string;
  available: string;
  request: number;
  groupSize?: number;
  expect?: string;
  error?: string;
}

interface FreeUnitsCase {
  name: string;
  topology: string;
  available: string;
  numaNodes?: number[];
  sockets?: number[];
  sortedSockets?: number[];
  cores?: number[];
  cpus?: number[];
}

const cases = loadCases<{ packed: TakeCase[]; spread: TakeCase[]; distributed: TakeCase[]; freeUnits: FreeUnitsCase[] }>('take-by-topology');
const common = cases.packed.filter((c) => c.only === undefined);

function check(c: TakeCase, take: () => CPUSet): void {
  if (c.error !== undefined) {
    expect(take).toThrow(CPUAllocationError);
    expect(take).toThrow(c.error);
    return;
  }
  const got = take();
  expect(got.toString()).toBe(CPUSet.parse(c.expect ?? '').toString());
  expect(got.isSubsetOf(CPUSet.parse(c.available))).toBe(true);
}

describe('takeByTopologyNUMAPacked', () => {
  it.each(cases.packed)('$name', (c) => {
    check(c, () => takeByTopologyNUMAPacked(loadTopology(c.topology), CPUSet.parse(c.available), c.request));
  });
});

describe('takeByTopologyNUMAPacked, spreading over cores (distribute-cpus-across-cores)', () => {
  it.each(cases.spread)('$name', (c) => {
    check(c, () => takeByTopologyNUMAPacked(loadTopology(c.topology), CPUSet.parse(c.available), c.request, 'spread'));
  });
});

describe('takeByTopologyNUMADistributed', () => {
  const rows = [...common.map((c) => ({ ...c, groupSize: 1 })), ...cases.distributed];
  it.each(rows)('$name', (c) => {
    check(c, () =>
      takeByTopologyNUMADistributed(loadTopology(c.topology), CPUSet.parse(c.available), c.request, c.groupSize ?? 1),
    );
  });
});

describe('free units in taking order', () => {
  it.each(cases.freeUnits)('$name', (c) => {
    const units = describeFreeUnits(loadTopology(c.topology), CPUSet.parse(c.available));
    if (c.numaNodes) expect(units.numaNodes).toEqual(c.numaNodes);
    if (c.sockets) expect(units.sockets).toEqual(c.sockets);
    if (c.sortedSockets) expect([...units.sockets].sort((a, b) => a - b)).toEqual(c.sortedSockets);
    if (c.cores) expect(units.cores).toEqual(c.cores);
    if (c.cpus) expect(units.cpus).toEqual(c.cpus);
  });
});

describe('helpers', () => {
  it('walks k-combinations in lexicographic order and stops on request', () => {
    const seen: number[][] = [];
    forEachCombination([1, 2, 3, 4], 2, (c) => (seen.push(c), true));
    expect(seen).toEqual([[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]]);
    const first: number[][] = [];
    forEachCombination([1, 2, 3], 2, (c) => (first.push(c), false));
    expect(first).toEqual([[1, 2]]);
  });

  it.each([
    [[3, 3], 0],
    [[0, 6], 3],
    [[1, 1, 1, 3], 0.866],
    [[4, 5], 0.5],
  ])('standard deviation of %j is %d', (xs, sd) => {
    expect(standardDeviation(xs)).toBe(sd);
  });
});
