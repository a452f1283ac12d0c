import type { ProviderHints } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';
import type { ClosureStrategy } from './and-closure.js';
import { mergeHints } from './merge-hints.js';
import { NUMAInfo } from './numa-info.js';
import type { PolicyName } from './policy.js';
import { DEFAULT_POLICY_OPTIONS } from './policy-options.js';
import { everyMaskHints, randomMachine, randomProviderHints, seededRandom, type RandomMachine } from './testing/random-hints.js';
import { upstreamMerge } from './testing/upstream-merge.js';

const POLICIES: readonly PolicyName[] = ['best-effort', 'restricted', 'single-numa-node'];
const STRATEGIES: readonly ClosureStrategy[] = ['auto', 'sparse', 'dense'];

function agreesWithUpstream(machine: RandomMachine, hints: ProviderHints[], strategies: readonly ClosureStrategy[] = STRATEGIES): void {
  const numa = new NUMAInfo(machine.nodes, machine.distances);
  for (const policy of POLICIES) {
    for (const preferClosest of [false, true]) {
      const reference = upstreamMerge(hints, policy, { nodes: machine.nodes, distances: machine.distances }, preferClosest);
      for (const strategy of strategies) {
        const options = { ...DEFAULT_POLICY_OPTIONS, preferClosestNUMA: preferClosest };
        const ours = mergeHints(hints, { policy, numa, options, strategy });
        expect(ours, `${policy}, prefer-closest ${preferClosest}, ${strategy}`).toEqual(reference);
      }
    }
  }
}

describe('mergeHints equals the upstream cross-product merge', () => {
  const seeds = Array.from({ length: 1500 }, (_, i) => i + 1);
  it.each(seeds)('random hints, seed %i', (seed) => {
    const rand = seededRandom(seed);
    const machine = randomMachine(rand, 6);
    const hints = randomProviderHints(rand, machine, { maxProviders: 4, maxResources: 2, maxHints: 4 });
    agreesWithUpstream(machine, hints);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('every mask from three providers, each preferring one width, seed %i', (seed) => {
    const rand = seededRandom(1000 + seed);
    const nodes = seed % 2 === 0 ? [0, 1, 2, 3] : [0, 2, 3, 5];
    const distances = new Map(nodes.map((from) => [from, new Map(nodes.map((to) => [to, from === to ? 10 : 10 + ((from * 7 + to * 3 + seed) % 4) * 5 + 1]))]));
    const hints = [0, 1, 2].map((p) => new Map([[`r${p}`, everyMaskHints(nodes, (_m, count) => count === ((p + seed) % 4) + 1 && rand() < 0.7)]]));
    agreesWithUpstream({ nodes, distances }, hints);
  });

  it.each([64, 70, 100])('sparse hints on %i NUMA nodes (beyond 64-bit masks)', (n) => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = seededRandom(n * 1000 + seed);
      const nodes = Array.from({ length: n }, (_, i) => i);
      const distances = new Map(nodes.map((from) => [from, new Map(nodes.map((to) => [to, from === to ? 10 : 12 + (Math.abs(from - to) % 3) * 10]))]));
      const machine = { nodes, distances };
      const hints = randomProviderHints(rand, machine, { maxProviders: 3, maxResources: 2, maxHints: 3 });
      agreesWithUpstream(machine, hints, ['auto', 'sparse']);
    }
  });
});
