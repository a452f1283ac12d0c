import { describe, it } from 'vitest';
import { FOUR_NODES } from './testing/fixtures.js';
import { checkMergeRow, mergeRows } from './testing/merge-table.js';

const admitsAlways = (): boolean => true;

describe('best-effort policy', () => {
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-non-preferred-narrowest.json'], FOUR_NODES))(
    '4 NUMA nodes, $table: $name',
    (row) => checkMergeRow('best-effort', row, admitsAlways),
  );

  const eight = mergeRows(['merge-prefer-closest.json'], FOUR_NODES)[0]!;
  it.each(mergeRows(['merge-common.json', 'merge-best-effort.json', 'merge-prefer-closest.json'], eight.machine, eight.options))(
    '8 NUMA nodes, prefer-closest-numa-nodes, $table: $name',
    (row) => checkMergeRow('best-effort', row, admitsAlways),
  );
});
