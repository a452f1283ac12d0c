import { forEachMask, HINT_MASK_BUDGET, maskCount, maskIds, maskOf, type MaskTest, type NUMAMask, type Pod } from '@kernelet/sdk/common';
import { describe, expect, it } from 'vitest';

import {
  fromAssignments,
  fromHints,
  fromMachineState,
  loadMachine,
  quietLogger,
  readFixture,
  sortedCompact,
  toAssignments,
  toHint,
  toMachineState,
  toPod,
  type CompactAssignments,
  type CompactMachineState,
  type CompactPod,
} from '../fixtures.test-support.js';
import { MemoryState, type NUMANodeMap, type ReadonlyNUMANodeMap } from '../state/memory-state.js';
import { AllocationError, NO_PREFERENCE } from './policy.js';
import { StaticPolicy } from './policy-static.js';
import { seededRandom, simpleHintMasks, simpleNarrowestFittingWidth } from '@kernelet/sdk/testing';
import { sameNodes } from '../state/machine-state.js';

interface StateCase {
  name: string;
  upstream?: string;
  machineState: CompactMachineState;
  assignments?: CompactAssignments;
  expectMachineState?: CompactMachineState;
  expectAssignments?: CompactAssignments;
}
interface AllocateCase extends StateCase {
  pod: CompactPod;
  allocate: string[];
  hint: string | null;
  /** Upstream's error text, exactly. */
  expectError?: string;
  /** Part of the detail the log gets. */
  expectDetail?: string;
}
interface HintsCase extends StateCase {
  pod: CompactPod;
  container?: string;
  scope?: 'pod';
  expectHints: Record<string, string[]> | null;
}
interface RemoveCase extends StateCase {
  remove: [string, string];
}

// The policy works on whatever machine state it is given; the machine only seeds a fresh one.
function newPolicy(): StaticPolicy {
  return new StaticPolicy({
    machine: loadMachine('mem-single-numa'),
    reserved: new Map([[0, new Map([['memory', 512 * 1024 * 1024]])]]),
    featureGates: { PodLevelResources: true, InPlacePodVerticalScaling: true },
    logger: quietLogger,
  });
}

function stateOf(c: StateCase): MemoryState {
  return new MemoryState(toMachineState(c.machineState), toAssignments(c.assignments));
}

function container(pod: Pod, name: string) {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
  if (!found) throw new Error(`fixture has no container ${name}`);
  return found;
}

function thrownBy(run: () => void): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The state is what the case expects, or, when it expects nothing (or a refusal), what it started from. */
function expectState(state: MemoryState, c: StateCase, unchanged = false): void {
  const machine = unchanged ? c.machineState : (c.expectMachineState ?? c.machineState);
  const assignments = unchanged ? c.assignments : (c.expectAssignments ?? c.assignments);
  expect(fromMachineState(state.machineState())).toEqual(fromMachineState(toMachineState(machine)));
  expect(fromAssignments(state.assignments())).toEqual(sortedCompact(assignments));
}

const allocateCases = [
  ...readFixture<{ cases: AllocateCase[] }>('static-allocate.json').cases,
  ...readFixture<{ cases: AllocateCase[] }>('static-init-containers.json').cases,
];

describe('StaticPolicy.allocate', () => {
  it.each(allocateCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    const run = () => {
      for (const name of c.allocate) policy.allocate(state, pod, container(pod, name), toHint(c.hint));
    };
    if (c.expectError) {
      const before = state.version;
      const thrown = thrownBy(run);
      expect(thrown).toBeInstanceOf(AllocationError);
      expect(thrown).toMatchObject({ message: c.expectError, detail: expect.stringContaining(c.expectDetail ?? '') });
      expect(state.version).toBe(before);
      expectState(state, c, true); // a refused allocation changes nothing
    } else {
      run();
      expectState(state, c);
    }
  });

  it('is idempotent: a second allocate of the same container changes nothing', () => {
    const c = readFixture<{ cases: AllocateCase[] }>('static-allocate.json').cases.find((x) => x.name.startsWith('spreads'));
    if (!c) throw new Error('fixture missing');
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    policy.allocate(state, pod, container(pod, 'container1'), toHint(c.hint));
    const after = fromMachineState(state.machineState());
    policy.allocate(state, pod, container(pod, 'container1'), toHint('[2,3] preferred'));
    expect(fromMachineState(state.machineState())).toEqual(after);
  });
});

describe('StaticPolicy.topologyHints', () => {
  const cases = readFixture<{ cases: HintsCase[] }>('static-hints.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const policy = newPolicy();
    const state = stateOf(c);
    const pod = toPod(c.pod);
    const hints = c.scope === 'pod' ? policy.podTopologyHints(state, pod) : policy.topologyHints(state, pod, container(pod, c.container ?? ''));
    if (c.expectHints === null) expect(hints.size).toBe(0);
    else expect(fromHints(hints)).toEqual(c.expectHints);
    expectState(state, c); // hints never change the state
  });

  it('gives no hints for a pod using pod-level resources', () => {
    const state = new MemoryState(toMachineState({ '0': { cells: [0], memory: ['2Gi', '512Mi', '1536Mi', '0', '1536Mi'] } }));
    const pod = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory: '1Gi' } }] });
    expect(fromHints(newPolicy().topologyHints(state, pod, container(pod, 'c')))).toEqual({ memory: ['[0] preferred'] });
    const podLevel = { ...pod, spec: { ...pod.spec, resources: { limits: { memory: '1Gi' } } } } as Pod;
    expect(newPolicy().topologyHints(state, podLevel, container(podLevel, 'c'))).toBe(NO_PREFERENCE);
  });

  it('counts what a resized container was admitted with, not the resize', () => {
    const state = new MemoryState(toMachineState({ '0': { cells: [0], memory: ['2Gi', '512Mi', '1536Mi', '0', '1536Mi'] } }));
    const resized = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory: '4Gi' } }] });
    const status = { qosClass: 'Guaranteed', containerStatuses: [{ name: 'c', allocatedResources: { memory: '1Gi' } }] };
    const pod = { ...resized, status } as unknown as Pod;
    expect(fromHints(newPolicy().topologyHints(state, pod, container(pod, 'c')))).toEqual({ memory: ['[0] preferred'] });
  });
});

describe('StaticPolicy.removeContainer', () => {
  const cases = readFixture<{ cases: RemoveCase[] }>('static-remove-container.json').cases;
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const state = stateOf(c);
    newPolicy().removeContainer(state, ...c.remove);
    expectState(state, c);
  });
});

describe('StaticPolicy', () => {
  it('refuses to be built without memory reserved for the system', () => {
    expect(
      () => new StaticPolicy({ machine: loadMachine('mem-single-numa'), reserved: new Map(), featureGates: {}, logger: quietLogger }),
    ).toThrow('needs memory reserved for the system');
  });

  it('starts from the machine less the reserved memory and the hugepages', () => {
    // upstream TestStaticPolicyStart "should fill the state with default values, when the state is empty"
    expect(fromMachineState(newPolicy().initialMachineState())).toEqual({
      '0': { cells: [0], assignments: 0, 'hugepages-1Gi': ['1Gi', '0', '1Gi', '0', '1Gi'], memory: ['3Gi', '512Mi', '1536Mi', '0', '1536Mi'] },
    });
  });

  it('reports allocatable memory per node and type', () => {
    const state = new MemoryState(newPolicy().initialMachineState());
    expect(newPolicy().allocatableMemory(state)).toEqual([
      { numaAffinity: [0], type: 'hugepages-1Gi', size: 1024 ** 3 },
      { numaAffinity: [0], type: 'memory', size: 1536 * 1024 ** 2 },
    ]);
  });
});

/** A machine state of `n` nodes with `allocatable` bytes of memory each, nothing assigned. */
function evenMachineState(n: number, allocatable: number): NUMANodeMap {
  const state: NUMANodeMap = new Map();
  for (let id = 0; id < n; id++) {
    state.set(id, { numberOfAssignments: 0, cells: [id], memoryMap: new Map([['memory', { total: allocatable, systemReserved: 0, allocatable, reserved: 0, free: allocatable }]]) });
  }
  return state;
}

/** Upstream's calculateHints for one container's memory requests, restated over every set of nodes (tests only). */
function upstreamMemoryHints(state: NUMANodeMap, requests: ReadonlyMap<string, number>): string[] {
  const ids = [...state.keys()].sort((a, b) => a - b);
  let minAffinitySize = ids.length;
  const fitting: NUMAMask[] = [];
  const total = (nodes: number[], type: string, field: 'free' | 'allocatable') => nodes.reduce((s, id) => s + (state.get(id)?.memoryMap.get(type)?.[field] ?? 0), 0);
  forEachMask(ids, (mask) => {
    const nodes = maskIds(mask);
    if ([...requests].some(([type, size]) => total(nodes, type, 'allocatable') < size)) return;
    minAffinitySize = Math.min(minAffinitySize, nodes.length);
    if (nodes.length === 1 && (state.get(nodes[0] as number)?.cells.length ?? 0) > 1) return;
    for (const id of nodes) {
      const node = state.get(id);
      if (nodes.length === 1 || !node || node.numberOfAssignments === 0) continue;
      if (node.cells.length === 1) return;
      if ([...node.cells].sort((a, b) => a - b).join(',') !== nodes.join(',')) return;
    }
    if ([...requests].some(([type, size]) => total(nodes, type, 'free') < size)) return;
    fitting.push(mask);
  });
  return fitting.map((mask) => `[${maskIds(mask).join(',')}]${maskIds(mask).length === minAffinitySize ? ' preferred' : ''}`);
}


describe('StaticPolicy hints past 8 NUMA nodes', () => {
  const GiB = 1024 ** 3;
  const hintsFor = (state: NUMANodeMap, memory: string): string[] => {
    const pod = toPod({ uid: 'p', containers: [{ name: 'c', requests: { cpu: '1', memory } }] });
    return fromHints(newPolicy().topologyHints(new MemoryState(state), pod, container(pod, 'c')))['memory'] ?? [];
  };

  it('are exactly upstream hints up to 12 nodes, with groups, single-node assignments and uneven nodes', () => {
    const next = seededRandom(7);
    for (let round = 0; round < 60; round++) {
      const n = 2 + Math.floor(next() * 11);
      const state = evenMachineState(n, 0);
      for (const [id, node] of state) {
        const allocatable = Math.floor(1 + next() * 8) * GiB;
        node.memoryMap.set('memory', { total: allocatable, systemReserved: 0, allocatable, reserved: 0, free: allocatable });
        if (next() < 0.25) {
          const table = node.memoryMap.get('memory');
          if (table) [table.free, table.reserved, node.numberOfAssignments] = [table.allocatable - GiB, GiB, 1];
        } else if (next() < 0.2 && state.has(id + 1) && state.get(id + 1)?.numberOfAssignments === 0) {
          for (const g of [id, id + 1]) Object.assign(state.get(g) ?? {}, { numberOfAssignments: 1, cells: [id, id + 1] });
        }
      }
      const memory = `${1 + Math.floor(next() * 16)}Gi`;
      expect(hintsFor(state, memory)).toEqual(upstreamMemoryHints(state, new Map([['memory', Number(memory.slice(0, -2)) * GiB]])));
    }
  });

  it('on 16 nodes: every preferred hint, the pairs, then all nodes', () => {
    const hints = hintsFor(evenMachineState(16, 8 * GiB), '6Gi');
    expect(hints.filter((h) => h.endsWith('preferred'))).toEqual(Array.from({ length: 16 }, (_, i) => `[${i}] preferred`));
    expect(hints.length).toBe(16 + 120 + 1);
    expect(hints.at(-1)).toBe(`[${Array.from({ length: 16 }, (_, i) => i).join(',')}]`);
  });

  it('on 64 nodes: builds sets of several nodes only from free nodes and existing groups', () => {
    const state = evenMachineState(64, 8 * GiB);
    // Nodes 0-61 hold single-node memory; 62 and 63 are free.
    for (let id = 0; id < 62; id++) {
      const node = state.get(id);
      const table = node?.memoryMap.get('memory');
      if (node && table) [node.numberOfAssignments, table.reserved, table.free] = [1, 7 * GiB, GiB];
    }
    expect(hintsFor(state, '12Gi')).toEqual(['[62,63] preferred']);
    // Nodes 10-11 form a group with 4Gi free on each: it is a candidate pair too.
    for (const id of [10, 11]) {
      const node = state.get(id);
      const table = node?.memoryMap.get('memory');
      if (node && table) [node.cells, table.reserved, table.free] = [[10, 11], 4 * GiB, 4 * GiB];
    }
    expect(hintsFor(state, '7Gi')).toEqual(['[62] preferred', '[63] preferred', '[10,11]', '[62,63]']);
  });

  it('on 64 nodes, a request for two nodes: the first pairs in upstream order, within the budget', () => {
    const hints = hintsFor(evenMachineState(64, 8 * GiB), '12Gi');
    expect(hints.length).toBe(HINT_MASK_BUDGET + 1);
    expect(hints.slice(0, 2)).toEqual(['[0,1] preferred', '[0,2] preferred']);
  });
});

/**
 * The policy's hints for one container as it computed them before the hint search took
 * shortcuts (tests only): the node-by-node test over the machine state, handed to the
 * search without shortcuts, and each hint's nodes counted. `reusable` is what the pod's
 * init containers left, by set of nodes.
 */
function hintsWithoutShortcuts(state: ReadonlyNUMANodeMap, requests: ReadonlyMap<string, number>, reusable?: ReadonlyMap<NUMAMask, ReadonlyMap<string, number>>): Record<string, string[]> {
  const ids = [...state.keys()].sort((a, b) => a - b);
  const types = [...requests.keys()];
  const total = (nodes: readonly number[], type: string, field: 'free' | 'allocatable') => nodes.reduce((sum, id) => sum + (state.get(id)?.memoryMap.get(type)?.[field] ?? 0), 0);
  const allocatableFits: MaskTest = (_mask, nodes) => [...requests].every(([type, size]) => total(nodes, type, 'allocatable') >= size);
  const fits: MaskTest = (mask, nodes) => {
    if (!allocatableFits(mask, nodes) || nodes.some((id) => !state.has(id))) return false;
    if (nodes.length === 1) {
      if ((state.get(nodes[0] as number)?.cells.length ?? 0) > 1) return false;
    } else {
      for (const id of nodes) {
        const node = state.get(id);
        if (!node || node.numberOfAssignments === 0) continue;
        if (node.cells.length === 1 || !sameNodes(node.cells, nodes)) return false;
      }
    }
    return [...requests].every(([type, size]) => total(nodes, type, 'free') + (reusable?.get(mask)?.get(type) ?? 0) >= size);
  };
  const offers = (field: 'free' | 'allocatable') => types.map((type) => new Map(ids.map((id) => [id, state.get(id)?.memoryMap.get(type)?.[field] ?? 0])));
  const mostReusable = (type: string) => Math.max(0, ...[...(reusable?.values() ?? [])].map((byType) => byType.get(type) ?? 0));
  const sizes = types.map((type) => requests.get(type) ?? 0);
  const minSize = simpleNarrowestFittingWidth(ids, allocatableFits, { offers: offers('allocatable'), needs: sizes }) ?? ids.length;
  const groups = new Map<string, NUMAMask>();
  for (const node of state.values()) {
    if (node.numberOfAssignments > 0 && node.cells.length > 1) groups.set([...node.cells].sort((a, b) => a - b).join(','), maskOf(node.cells));
  }
  const fitting = simpleHintMasks({
    ids,
    fits,
    capacity: { offers: offers('free'), needs: types.map((type, t) => (sizes[t] as number) - mostReusable(type)) },
    multiNodeIds: ids.filter((id) => state.get(id)?.numberOfAssignments === 0),
    extraMasks: [...groups.values()],
  });
  if (fitting.length === 0) return {};
  const hints = fitting.map((mask) => `[${maskIds(mask).join(',')}]${maskCount(mask) === minSize ? ' preferred' : ''}`);
  return Object.fromEntries([...types].sort().map((type) => [type, hints]));
}

/**
 * A partly filled machine state of `n` nodes: uneven memory, 1Gi hugepages on some
 * nodes, nodes holding single-node memory, and groups of two or three nodes.
 */
function randomMachineState(n: number, next: () => number): NUMANodeMap {
  const GiB = 1024 ** 3;
  const int = (k: number) => Math.floor(next() * k);
  const fill = next();
  const state: NUMANodeMap = new Map();
  for (let id = 0; id < n; id++) {
    const memoryMap = new Map<string, { total: number; systemReserved: number; allocatable: number; reserved: number; free: number }>();
    const allocatable = (4 + int(5)) * GiB;
    memoryMap.set('memory', { total: allocatable, systemReserved: 0, allocatable, reserved: 0, free: allocatable });
    if (next() < 0.3) memoryMap.set('hugepages-1Gi', { total: 4 * GiB, systemReserved: 0, allocatable: 4 * GiB, reserved: 0, free: 4 * GiB });
    state.set(id, { numberOfAssignments: 0, cells: [id], memoryMap });
  }
  const take = (ids: number[], cells: number[]) => {
    for (const id of ids) {
      const node = state.get(id);
      if (!node) continue;
      node.numberOfAssignments = 1 + int(2);
      node.cells = cells;
      for (const table of node.memoryMap.values()) {
        const used = Math.min(table.allocatable, int(1 + table.allocatable / GiB) * GiB);
        [table.reserved, table.free] = [used, table.allocatable - used];
      }
    }
  };
  for (let id = 0; id < n; id++) {
    if (state.get(id)?.numberOfAssignments !== 0 || next() >= fill) continue;
    const width = next() < 0.7 ? 1 : 2 + int(2);
    const group = Array.from({ length: width }, (_, k) => id + k).filter((g) => state.get(g)?.numberOfAssignments === 0);
    take(group, group.length > 1 ? group : [id]);
  }
  return state;
}

describe('StaticPolicy hints, against the search without shortcuts', () => {
  const GiB = 1024 ** 3;
  const podFor = (uid: string, memory: number, hugepages: number, init?: number) =>
    toPod({
      uid,
      containers: [{ name: 'app', requests: { cpu: '1', memory: `${memory}Gi`, ...(hugepages ? { 'hugepages-1Gi': `${hugepages}Gi` } : {}) } }],
      ...(init ? { initContainers: [{ name: 'init', requests: { cpu: '1', memory: `${init}Gi` } }] } : {}),
    });

  it.each([2, 16, 64])('are the same hints on random partly filled machines of %i NUMA nodes', (n) => {
    const next = seededRandom(100 + n);
    for (let round = 0; round < (n === 64 ? 60 : 100); round++) {
      const state = randomMachineState(n, next);
      const memory = 1 + Math.floor(next() * (next() < 0.7 ? 8 : 24));
      const hugepages = next() < 0.25 ? 1 + Math.floor(next() * 3) : 0;
      const pod = podFor(`p${round}`, memory, hugepages);
      const requests = new Map([['memory', memory * GiB], ...(hugepages ? [['hugepages-1Gi', hugepages * GiB] as const] : [])]);
      expect(fromHints(newPolicy().topologyHints(new MemoryState(state), pod, container(pod, 'app'))), `round ${round}`).toEqual(
        hintsWithoutShortcuts(state, requests),
      );
    }
  });

  it.each([2, 16, 64])('are the same hints for an app container reusing its init container memory, on %i NUMA nodes', (n) => {
    const next = seededRandom(200 + n);
    for (let round = 0; round < 30; round++) {
      const policy = newPolicy();
      const state = new MemoryState(randomMachineState(n, next));
      const memory = 1 + Math.floor(next() * 10);
      const pod = podFor(`p${round}`, memory, 0, 1 + Math.floor(next() * 10));
      const initHints = policy.topologyHints(state, pod, container(pod, 'init')).get('memory') ?? [];
      const hint = initHints.find((h) => h.preferred) ?? initHints[0];
      if (!hint) continue;
      policy.allocate(state, pod, container(pod, 'init'), hint);
      const left = new Map((state.memoryBlocks(`p${round}`, 'init') ?? []).map((b) => [maskOf(b.numaAffinity), new Map([[b.type, b.size]])]));
      expect(fromHints(policy.topologyHints(state, pod, container(pod, 'app'))), `round ${round}`).toEqual(
        hintsWithoutShortcuts(state.machineState(), new Map([['memory', memory * GiB]]), left),
      );
    }
  });
});
