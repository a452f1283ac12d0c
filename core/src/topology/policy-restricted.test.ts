import { describe, it } from 'vitest';
import { FOUR_NODES } from './testing/fixtures.js';
import { checkMergeRow, mergeRows } from './testing/merge-table.js';

const admitsPreferred = (preferred: boolean): boolean => preferred;

describe('restricted policy', () => {
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-non-preferred-narrowest.json'], FOUR_NODES))(
    '4 NUMA nodes, $table: $name',
    (row) => checkMergeRow('restricted', row, admitsPreferred),
  );

  const eight = mergeRows(['merge-prefer-closest.json'], FOUR_NODES)[0]!;
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-prefer-closest.json'], eight.machine, eight.options))(
    '8 NUMA nodes, prefer-closest-numa-nodes, $table: $name',
    (row) => checkMergeRow('restricted', row, admitsPreferred),
  );
});
