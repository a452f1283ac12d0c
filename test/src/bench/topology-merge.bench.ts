import { performance } from 'node:perf_hooks';
import type { ProviderHints, TopologyHint } from '@kernelet/sdk/common';
import { DEFAULT_POLICY_OPTIONS, mergeHints, NUMAInfo, type MergeHintsConfig, type PolicyName } from '@kernelet/core';
import { seededRandom } from '@kernelet/sdk/testing';
import { percentile, type Bench, type BenchRow } from './bench.js';

/**
 * The topology manager's merge at admission, where upstream enumerates the cross
 * product of the providers' hints (and so refuses machines past 8 NUMA nodes).
 * Times mergeHints alone: hints are built beforehand, as providers would send them.
 */
export const bench: Bench = {
  name: 'topology merge',
  async run() {
    const rows: BenchRow[] = [];
    for (const n of [4, 8, 16]) {
      const numa = machine(n);
      const reps = n <= 8 ? 200 : 20;
      // Each provider prefers masks of its own width: no preferred merge exists, so
      // every reachable AND must be ranked (the expensive case).
      const disjoint = [0, 1, 2, 3].map((p) => everyMask(numa.nodes, (count) => count === p + 1));
      rows.push(...timed(`${n} NUMA nodes, 4 providers x every mask (${(2 ** n - 1).toLocaleString('en')} hints each), no common preferred`, reps, disjoint, { policy: 'restricted', numa }, n === 8 ? '<= 50 ms' : undefined));
      const shared = [0, 1, 2, 3].map(() => everyMask(numa.nodes, (count) => count <= 2));
      rows.push(...timed(`${n} NUMA nodes, 4 providers x every mask, common preferred`, reps, shared, { policy: 'restricted', numa }));
      if (n === 16) {
        const closest = { ...DEFAULT_POLICY_OPTIONS, preferClosestNUMA: true };
        rows.push(...timed(`${n} NUMA nodes, every mask, no common preferred, prefer-closest-numa-nodes`, reps, disjoint, { policy: 'best-effort', numa, options: closest }));
      }
      rows.push({ metric: `${n} NUMA nodes: merges upstream would enumerate`, value: ((2 ** n - 1) ** 4).toExponential(2), unit: 'merges' });
    }

    const wide = machine(64);
    const random = seededRandom(64);
    const realistic = Array.from({ length: 20 }, () => [0, 1, 2, 3].map((p) => realisticHints(random, p)));
    const noShared = Array.from({ length: 20 }, () => [0, 1, 2, 3].map((p) => realisticHints(random, p, true)));
    rows.push(...timedSets('64 NUMA nodes, 4 providers x <= 64 realistic hints', 200, realistic, { policy: 'restricted', numa: wide }, '<= 50 ms'));
    rows.push(...timedSets('64 NUMA nodes, 4 providers x <= 64 hints, no common preferred', 200, noShared, { policy: 'best-effort', numa: wide, options: { ...DEFAULT_POLICY_OPTIONS, preferClosestNUMA: true } }, '<= 50 ms'));
    return rows;
  },
};

function timed(metric: string, reps: number, lists: TopologyHint[][], config: Omit<MergeHintsConfig, 'policy'> & { policy: PolicyName }, target?: string): BenchRow[] {
  return timedSets(metric, reps, [lists], config, target);
}

function timedSets(metric: string, reps: number, sets: TopologyHint[][][], config: MergeHintsConfig, target?: string): BenchRow[] {
  const inputs: ProviderHints[][] = sets.map((lists) => lists.map((hints, p) => new Map([[`resource-${p}`, hints]])));
  for (let i = 0; i < 3; i++) mergeHints(inputs[i % inputs.length] as ProviderHints[], config);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const input = inputs[i % inputs.length] as ProviderHints[];
    const started = performance.now();
    mergeHints(input, config);
    samples.push(performance.now() - started);
  }
  return [
    { metric: `${metric}: median`, value: percentile(samples, 50), unit: 'ms', ...(target ? { target } : {}) },
    { metric: `${metric}: p99`, value: percentile(samples, 99), unit: 'ms', ...(target ? { target } : {}) },
  ];
}

function machine(n: number): NUMAInfo {
  const nodes = Array.from({ length: n }, (_, i) => i);
  const socketOf = (id: number): number => Math.floor(id / Math.max(1, Math.min(8, n / 2)));
  return new NUMAInfo(nodes, new Map(nodes.map((a) => [a, new Map(nodes.map((b) => [b, a === b ? 10 : socketOf(a) === socketOf(b) ? 12 : 32]))])));
}

function everyMask(nodes: readonly number[], preferred: (count: number) => boolean): TopologyHint[] {
  const hints: TopologyHint[] = [];
  for (let x = 1; x < 2 ** nodes.length; x++) {
    let count = 0;
    for (let v = x; v > 0; v &= v - 1) count++;
    hints.push({ numaAffinity: BigInt(x), preferred: preferred(count) });
  }
  return hints;
}

/**
 * What a resource manager could offer on 8 sockets of 8 NUMA nodes: single nodes with
 * room (preferred), adjacent pairs, whole sockets, pairs of sockets and the machine
 * (not preferred), at most 64 hints. `disjoint` makes each provider prefer different
 * nodes, so no preferred merge exists.
 */
function realisticHints(random: () => number, provider: number, disjoint = false): TopologyHint[] {
  const hints: TopologyHint[] = [];
  const bit = (id: number): bigint => 1n << BigInt(id);
  for (let id = 0; id < 64 && hints.length < 24; id++) {
    if (disjoint ? id % 4 !== provider : random() < 0.4) continue;
    hints.push({ numaAffinity: bit(id), preferred: true });
  }
  for (let id = 0; id < 64 && hints.length < 50; id += 2) if (random() < 0.6) hints.push({ numaAffinity: bit(id) | bit(id + 1), preferred: false });
  for (let socket = 0; socket < 8; socket++) hints.push({ numaAffinity: 0xffn << BigInt(socket * 8), preferred: false });
  for (let pair = 0; pair < 4 && hints.length < 63; pair++) hints.push({ numaAffinity: 0xffffn << BigInt(pair * 16), preferred: false });
  hints.push({ numaAffinity: (1n << 64n) - 1n, preferred: false });
  return hints.slice(0, 64);
}

