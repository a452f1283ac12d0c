import { maskOf } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { NUMAInfo } from './numa-info.js';
import { loadFixture, numaOf, type FixtureMachine } from './testing/fixtures.js';
import { TopologyConfigError } from './topology-config-error.js';

interface AverageCase {
  name: string;
  machine: FixtureMachine;
  nodes: number[];
  expect: number;
}

describe('NUMAInfo', () => {
  it.each(loadFixture<{ cases: AverageCase[] }>('average-distance.json').cases)('average distance: $name', (c) => {
    expect(numaOf(c.machine).averageDistance(maskOf(c.nodes))).toBe(c.expect);
  });

  it('knows every node as the default mask, ids sorted', () => {
    const numa = new NUMAInfo([3, 0, 1]);
    expect(numa.nodes).toEqual([0, 1, 3]);
    expect(numa.defaultMask).toBe(0b1011n);
  });

  it('names the first missing distance', () => {
    const numa = new NUMAInfo([0, 1], new Map([[0, new Map([[0, 10], [1, 20]])]]));
    expect(numa.missingDistance()).toEqual({ from: 1, to: 0 });
    expect(() => numa.averageDistance(0b11n)).toThrow('no distance from NUMA node 1 to 0');
  });

  it.each([
    ['no nodes', [], 'the machine has no NUMA nodes'],
    ['duplicate ids', [0, 1, 1], 'duplicate NUMA node id 1'],
    ['negative ids', [-1], 'invalid NUMA node id -1'],
  ])('refuses %s', (_name, nodes, message) => {
    expect(() => new NUMAInfo(nodes)).toThrow(TopologyConfigError);
    expect(() => new NUMAInfo(nodes)).toThrow(message);
  });
});
