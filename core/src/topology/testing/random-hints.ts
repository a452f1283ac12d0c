import type { NUMAMask, ProviderHints, ResourceHints, TopologyHint } from '@kernelet/sdk/common';

/** A small seeded generator (mulberry32), so a failing random case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomMachine {
  nodes: number[];
  distances: Map<number, Map<number, number>>;
}

export function randomMachine(rand: () => number, maxNodes: number): RandomMachine {
  const count = 1 + Math.floor(rand() * maxNodes);
  const nodes: number[] = [];
  // Sometimes sparse ids, to exercise the id-to-position mapping.
  for (let id = 0; nodes.length < count; id++) if (rand() < 0.8) nodes.push(id);
  const flat = rand() < 0.25;
  const distances = new Map<number, Map<number, number>>();
  for (const from of nodes) {
    const row = new Map<number, number>();
    for (const to of nodes) row.set(to, from === to ? 10 : flat ? 20 : 11 + Math.floor(rand() * 4) * 5);
    distances.set(from, row);
  }
  return { nodes, distances };
}

export interface RandomHintsShape {
  maxProviders: number;
  maxResources: number;
  maxHints: number;
}

/** Provider hints over the machine's nodes, with the odd case upstream must survive (empty lists, null lists, any-node hints, stray bits). */
export function randomProviderHints(rand: () => number, machine: RandomMachine, shape: RandomHintsShape): ProviderHints[] {
  const providers: ProviderHints[] = [];
  const nProviders = Math.floor(rand() * (shape.maxProviders + 1));
  for (let p = 0; p < nProviders; p++) {
    const resources = new Map<string, ResourceHints>();
    const nResources = Math.floor(rand() * (shape.maxResources + 1));
    for (let r = 0; r < nResources; r++) {
      const roll = rand();
      if (roll < 0.06) resources.set(`r${r}`, null);
      else if (roll < 0.1) resources.set(`r${r}`, []);
      else {
        const hints: TopologyHint[] = [];
        const nHints = 1 + Math.floor(rand() * shape.maxHints);
        for (let h = 0; h < nHints; h++) hints.push(randomHint(rand, machine));
        resources.set(`r${r}`, hints);
      }
    }
    providers.push(resources);
  }
  return providers;
}

function randomHint(rand: () => number, machine: RandomMachine): TopologyHint {
  const preferred = rand() < 0.6;
  const roll = rand();
  if (roll < 0.15) return { numaAffinity: null, preferred };
  let mask: NUMAMask = 0n;
  // Narrow masks are the common case; wide ones appear too.
  const density = roll < 0.6 ? 0.3 : 0.7;
  for (const id of machine.nodes) if (rand() < density) mask |= 1n << BigInt(id);
  if (rand() < 0.03) mask |= 1n << BigInt((machine.nodes.at(-1) ?? 0) + 1 + Math.floor(rand() * 3));
  if (mask === 0n && rand() < 0.8) mask = 1n << BigInt(machine.nodes[Math.floor(rand() * machine.nodes.length)] ?? 0);
  return { numaAffinity: mask, preferred };
}

/** Every non-empty subset of the nodes, as hints preferred by `isPreferred`. */
export function everyMaskHints(nodes: readonly number[], isPreferred: (mask: NUMAMask, count: number) => boolean): TopologyHint[] {
  const hints: TopologyHint[] = [];
  const total = 1 << nodes.length;
  for (let x = 1; x < total; x++) {
    let mask = 0n;
    let count = 0;
    for (let p = 0; p < nodes.length; p++) {
      if ((x >>> p) & 1) {
        mask |= 1n << BigInt(nodes[p] as number);
        count++;
      }
    }
    hints.push({ numaAffinity: mask, preferred: isPreferred(mask, count) });
  }
  return hints;
}
