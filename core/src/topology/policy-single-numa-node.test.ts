import { maskOf, type TopologyHint } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import { mergeHints } from './merge-hints.js';
import { NUMAInfo } from './numa-info.js';
import { parsePolicyOptions } from './policy-options.js';
import { keepSingleNumaHints } from './provider-hints.js';
import { FOUR_NODES, hintOf, loadFixture, type FixtureHint } from './testing/fixtures.js';
import { evaluateMergeRow, mergeRows, type MergeRow } from './testing/merge-table.js';

const admitsPreferred = (preferred: boolean): boolean => preferred;
const single = mergeRows(['merge-single-numa-node.json'], FOUR_NODES);

/** The merge gives the tabled hint and admit, and the upstream reference agrees. */
function check(row: MergeRow): void {
  const { actual, tabled, reference } = evaluateMergeRow('single-numa-node', row, admitsPreferred);
  expect(actual).toEqual(tabled);
  expect(reference).toEqual(actual);
}

describe('single-numa-node policy', () => {
  it.each(mergeRows(['merge-common.json', 'merge-single-numa-node.json'], single[0]!.machine))('2 NUMA nodes, $table: $name', check);

  interface FilterCase {
    name: string;
    lists: FixtureHint[][];
    expect: FixtureHint[][];
  }
  const filter = loadFixture<{ cases: FilterCase[] }>('filter-single-numa-hints.json');
  it.each(filter.cases)('filter: $name', ({ lists, expect: expected }) => {
    const parse = (ls: FixtureHint[][]): TopologyHint[][] => ls.map((l) => l.map((h) => hintOf(h)));
    expect(keepSingleNumaHints(parse(lists))).toEqual(parse(expected));
  });

  it('ignores prefer-closest-numa-nodes: one node has no distance to weigh', () => {
    const numa = new NUMAInfo([0, 1], new Map([[0, new Map([[0, 10], [1, 20]])], [1, new Map([[0, 20], [1, 10]])]]));
    const hints = [new Map([['cpu', [{ numaAffinity: maskOf([1]), preferred: true }, { numaAffinity: maskOf([0]), preferred: true }]]])];
    const closest = mergeHints(hints, { policy: 'single-numa-node', numa, options: parsePolicyOptions({ 'prefer-closest-numa-nodes': 'true' }) });
    expect(closest).toEqual({ bestHint: { numaAffinity: maskOf([0]), preferred: true }, admit: true });
  });

  it('reports a one-node machine\'s only node as any node', () => {
    const numa = new NUMAInfo([0]);
    const hints = [new Map([['cpu', [{ numaAffinity: maskOf([0]), preferred: true }]]])];
    expect(mergeHints(hints, { policy: 'single-numa-node', numa })).toEqual({ bestHint: { numaAffinity: null, preferred: true }, admit: true });
  });
});
