import { describe, expect, it } from 'vitest';
import { FOUR_NODES } from './testing/fixtures.js';
import { evaluateMergeRow, mergeRows, type MergeRow } from './testing/merge-table.js';

const admitsPreferred = (preferred: boolean): boolean => preferred;

/** The merge gives the tabled hint and admit, and the upstream reference agrees. */
function check(row: MergeRow): void {
  const { actual, tabled, reference } = evaluateMergeRow('restricted', row, admitsPreferred);
  expect(actual).toEqual(tabled);
  expect(reference).toEqual(actual);
}

describe('restricted policy', () => {
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-non-preferred-narrowest.json'], FOUR_NODES))(
    '4 NUMA nodes, $table: $name',
    check,
  );

  const eight = mergeRows(['merge-prefer-closest.json'], FOUR_NODES)[0]!;
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-prefer-closest.json'], eight.machine, eight.options))(
    '8 NUMA nodes, prefer-closest-numa-nodes, $table: $name',
    check,
  );
});
