import { expect } from 'vitest';
import { mergeHints } from '../merge-hints.js';
import type { PolicyName } from '../policy.js';
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
 * Checks one row: the merge gives the tabled hint, the policy's admit rule holds, and
 * the upstream reference agrees (so the table and the reference check each other).
 */
export function checkMergeRow(policy: PolicyName, row: MergeRow, admitRule: (preferred: boolean) => boolean): void {
  const numa = numaOf(row.machine);
  const options = parsePolicyOptions(row.options);
  const providersHints = providerHintsOf(row.hints, numa);
  const result = mergeHints(providersHints, { policy, numa, options });
  const expected = hintOf(row.expect, numa);
  expect(result.bestHint).toEqual(expected);
  expect(result.admit).toBe(admitRule(expected.preferred));
  const reference = upstreamMerge(providersHints, policy, { nodes: numa.nodes, distances: distancesOf(numa) }, options.preferClosestNUMA);
  expect(reference).toEqual(result);
}

function distancesOf(numa: ReturnType<typeof numaOf>): Map<number, Map<number, number>> {
  return new Map(numa.nodes.map((from) => [from, new Map(numa.nodes.flatMap((to) => {
    const d = numa.distance(from, to);
    return d === undefined ? [] : [[to, d] as const];
  }))]));
}
