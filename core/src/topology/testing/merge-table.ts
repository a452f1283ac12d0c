import { mergeHints } from '../merge-hints.js';
import type { MergeResult, PolicyName } from '../policy.js';
import { parsePolicyOptions } from '../policy-options.js';
import { hintOf, loadFixture, numaOf, providerHintsOf, type FixtureMachine, type MergeCase, type MergeFixture } from './fixtures.js';
import { upstreamMerge } from './upstream-merge.js';

export interface MergeRow {
  table: string;
  name: string;
  machine: FixtureMachine;
  options: Record<string, string>;
  hints: MergeCase['hints'];
  expect: MergeCase['expect'];
}

/** Rows of the named fixture tables, on the given machine and options unless a table names its own. */
export function mergeRows(tables: readonly string[], machine: FixtureMachine, options: Record<string, string> = {}): MergeRow[] {
  return tables.flatMap((table) => {
    const fixture = loadFixture<MergeFixture>(table);
    return fixture.cases.map((c) => ({
      table,
      name: c.name,
      machine: fixture.machine ?? machine,
      options: fixture.options ?? options,
      hints: c.hints,
      expect: c.expect,
    }));
  });
}

/**
 * One row's outcome: what the merge gives, what the table says (with the admit the
 * policy's rule derives from it), and what the upstream reference gives, so a test
 * can check the table and the reference against each other.
 */
export function evaluateMergeRow(
  policy: PolicyName,
  row: MergeRow,
  admitRule: (preferred: boolean) => boolean,
): { actual: MergeResult; tabled: MergeResult; reference: MergeResult } {
  const numa = numaOf(row.machine);
  const options = parsePolicyOptions(row.options);
  const providersHints = providerHintsOf(row.hints, numa);
  const actual = mergeHints(providersHints, { policy, numa, options });
  const bestHint = hintOf(row.expect, numa);
  const reference = upstreamMerge(providersHints, policy, { nodes: numa.nodes, distances: distancesOf(numa) }, options.preferClosestNUMA);
  return { actual, tabled: { bestHint, admit: admitRule(bestHint.preferred) }, reference };
}

function distancesOf(numa: ReturnType<typeof numaOf>): Map<number, Map<number, number>> {
  return new Map(numa.nodes.map((from) => [from, new Map(numa.nodes.flatMap((to) => {
    const d = numa.distance(from, to);
    return d === undefined ? [] : [[to, d] as const];
  }))]));
}
