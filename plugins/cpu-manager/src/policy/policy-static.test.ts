import { describe, expect, it } from 'vitest';
import { CPUSet, forEachMask, HINT_MASK_BUDGET, maskIds, maskOf, type NUMAMask, type Pod, type ProviderHints, type TopologyHint } from '@kernelet/sdk/common';
import { loadCases, loadTopology, makePod, type PodCase } from '../fixtures.test-helper.js';
import { parseFeatureGates } from '../config/feature-gates.js';
import { SMTAlignmentError, StateValidationError } from '../errors.js';
import { MemoryState } from '../state/state.js';
import { CPUAllocationError } from '../topology/cpu-assignment.js';
import { CPUTopology } from '../topology/cpu-topology.js';
import { DEFAULT_STATIC_POLICY_OPTIONS, FULL_PCPUS_ONLY, parseStaticPolicyOptions } from './policy-options.js';
import { StaticPolicy } from './policy-static.js';
import { seededRandom, simpleHintMasks } from '@kernelet/sdk/testing';

type Assignments = Record<string, Record<string, string>>;

interface PolicyCase {
  name: string;
  topology: string;
  numReserved?: number;
  reserved?: string;
  options?: Record<string, string>;
  alpha?: boolean;
  assignments?: Assignments;
  defaultCpuSet: string;
}

interface StartCase extends PolicyCase {
  expectDefault?: string;
  error?: { kind: 'corrupt' | 'stale'; field: string; problem: string };
}

interface AllocateCase extends PolicyCase {
  optionsInsensitive?: boolean;
  pod: PodCase;
  hint?: number[] | null;
  expect?: string | null;
  expectSize?: number;
  expectNUMANodes?: number;
  error?: string;
  reason?: string;
}

interface ReuseCase {
  name: string;
  topology: string;
  pod: PodCase;
  defaultCpuSet: string;
  expectDefaultAfterAlloc: string;
  remove?: string;
  expectDefaultAfterRemove?: string;
}

interface RemoveCase extends PolicyCase {
  remove: [string, string];
  expectDefault: string;
}

interface MaskCase {
  name: string;
  topology: string;
  request: number;
  hint: number[] | null;
  expect: string;
}

interface HintCase {
  name: string;
  topology: string;
  numReserved?: number;
  options?: Record<string, string>;
  request: string;
  limit?: string;
  assignments?: Assignments;
  defaultCpuSet: string;
  expect: [number[], boolean][] | null;
}

const policyCases = loadCases<{
  start: StartCase[];
  allocate: AllocateCase[];
  allocateWithMask: MaskCase[];
  reuse: ReuseCase[];
  remove: RemoveCase[];
}>('static-policy');
const hintCases = loadCases<{ hints: HintCase[]; alignBySocket: HintCase[] }>('topology-hints');

function policyFor(c: { topology: string; numReserved?: number; reserved?: string; options?: Record<string, string>; alpha?: boolean }): StaticPolicy {
  const gates = parseFeatureGates({ CPUManagerPolicyAlphaOptions: c.alpha ?? true });
  const options = parseStaticPolicyOptions(new Map(Object.entries(c.options ?? {})), gates);
  const reserved = CPUSet.parse(c.reserved ?? '');
  return new StaticPolicy(loadTopology(c.topology), c.numReserved ?? reserved.size, reserved, options);
}

function stateFor(c: { defaultCpuSet: string; assignments?: Assignments }): MemoryState {
  const assignments = new Map(
    Object.entries(c.assignments ?? {}).map(([pod, containers]) => [
      pod,
      new Map(Object.entries(containers).map(([name, cpus]) => [name, CPUSet.parse(cpus)])),
    ]),
  );
  return new MemoryState(CPUSet.parse(c.defaultCpuSet), assignments);
}

function hintsAsData(hints: ProviderHints): [number[], boolean][] | null {
  const cpu = hints.get('cpu');
  if (cpu === undefined) return null;
  return (cpu ?? []).map((h) => [h.numaAffinity === null ? [] : maskIds(h.numaAffinity), h.preferred]);
}

describe('StaticPolicy.start', () => {
  it.each(policyCases.start)('$name', (c) => {
    const policy = policyFor(c);
    const state = stateFor(c);
    if (c.error) {
      const err = (() => {
        try {
          policy.start(state);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(StateValidationError);
      expect(err).toMatchObject({ kind: c.error.kind, field: c.error.field });
      expect((err as StateValidationError).problem).toContain(c.error.problem);
      return;
    }
    policy.start(state);
    expect(state.defaultCPUSet().toString()).toBe(c.expectDefault);
  });
});

describe('StaticPolicy.allocate', () => {
  const rows = policyCases.allocate.flatMap((c) =>
    c.optionsInsensitive
      ? [
          { ...c, name: `${c.name} (no options)` },
          { ...c, name: `${c.name} (${FULL_PCPUS_ONLY})`, options: { [FULL_PCPUS_ONLY]: 'true' } },
        ]
      : [c],
  );

  it.each(rows)('$name', (c) => {
    const policy = policyFor(c);
    const state = stateFor(c);
    const pod = makePod(c.pod);
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('case without container');
    const hint = c.hint ? { numaAffinity: maskOf(c.hint), preferred: true } : null;
    const allocate = (): void => policy.allocate(state, pod, container, hint);

    if (c.error !== undefined) {
      expect(allocate).toThrow(c.reason === 'SMTAlignmentError' ? SMTAlignmentError : CPUAllocationError);
      expect(allocate).toThrow(c.error);
      expect(state.getCPUSet(c.pod.uid, container.name)).toBeUndefined();
      return;
    }
    allocate();
    const got = state.getCPUSet(c.pod.uid, container.name);
    if (c.expect === null) {
      expect(got).toBeUndefined();
      return;
    }
    if (!got) throw new Error('no allocation');
    if (c.expect !== undefined) expect(got.toString()).toBe(c.expect);
    if (c.expectSize !== undefined) expect(got.size).toBe(c.expectSize);
    if (c.expectNUMANodes !== undefined) {
      const topo = loadTopology(c.topology);
      expect(new Set([...got].map((cpu) => topo.info(cpu).numa)).size).toBe(c.expectNUMANodes);
    }
    expect(got.intersection(state.defaultCPUSet()).isEmpty()).toBe(true);
    expect(got.intersection(policy.reserved).isEmpty()).toBe(true);
  });

  it('is idempotent: a second call keeps the CPUs and the shared pool', () => {
    const policy = policyFor({ topology: 'cpu-dual-socket-ht', numReserved: 1 });
    const state = new MemoryState(CPUSet.parse('0-11'));
    const pod = makePod({ uid: 'p', containers: [{ name: 'c', cpu: '4' }] });
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('no container');
    policy.allocate(state, pod, container, null);
    const first = state.getCPUSet('p', 'c');
    const shared = state.defaultCPUSet();
    policy.allocate(state, pod, container, null);
    expect(state.getCPUSet('p', 'c')).toEqual(first);
    expect(state.defaultCPUSet()).toEqual(shared);
  });

  it('keeps a container allocated before full-pcpus-only ran short of whole cores (re-admission after a restart)', () => {
    const policy = policyFor({ topology: 'cpu-dual-socket-ht', numReserved: 2, options: { [FULL_PCPUS_ONLY]: 'true' } });
    // 10 of the 10 allocatable CPUs went to the container before the restart.
    const state = new MemoryState(CPUSet.parse('0,6'), new Map([['p', new Map([['c', CPUSet.parse('1-5,7-11')]])]]));
    const pod = makePod({ uid: 'p', containers: [{ name: 'c', cpu: '10' }] });
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('no container');
    expect(() => policy.allocate(state, pod, container, null)).not.toThrow();
    expect(state.getCPUSet('p', 'c')?.toString()).toBe('1-5,7-11');
  });
});

describe('StaticPolicy.allocateCPUs under a NUMA affinity', () => {
  it.each(policyCases.allocateWithMask)('$name', (c) => {
    const policy = policyFor({ topology: c.topology, numReserved: 0 });
    const state = new MemoryState();
    policy.start(state);
    const got = policy.allocateCPUs(state, c.request, c.hint ? maskOf(c.hint) : null, CPUSet.EMPTY);
    expect(got.toString()).toBe(CPUSet.parse(c.expect).toString());
  });
});

describe('StaticPolicy: init container CPUs reused by app containers', () => {
  it.each(policyCases.reuse)('$name', (c) => {
    const policy = policyFor({ topology: c.topology, numReserved: 0 });
    const state = new MemoryState(CPUSet.parse(c.defaultCpuSet));
    const pod = makePod(c.pod);
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      policy.allocate(state, pod, container, null);
    }
    expect(state.defaultCPUSet().toString()).toBe(c.expectDefaultAfterAlloc);
    if (c.remove !== undefined) {
      policy.removeContainer(state, c.pod.uid, c.remove);
      expect(state.defaultCPUSet().toString()).toBe(c.expectDefaultAfterRemove);
      expect(state.getCPUSet(c.pod.uid, c.remove)).toBeUndefined();
    }
  });
});

describe('StaticPolicy.removeContainer', () => {
  it.each(policyCases.remove)('$name', (c) => {
    const policy = policyFor({ topology: c.topology, numReserved: 0 });
    const state = stateFor(c);
    policy.removeContainer(state, c.remove[0], c.remove[1]);
    expect(state.defaultCPUSet().toString()).toBe(c.expectDefault);
    expect(state.getCPUSet(c.remove[0], c.remove[1])).toBeUndefined();
  });
});

describe('StaticPolicy topology hints', () => {
  const rows = [...hintCases.hints, ...hintCases.alignBySocket];

  it.each(rows)('container scope: $name', (c) => {
    const policy = policyFor({ topology: c.topology, numReserved: c.numReserved ?? 0, ...(c.options ? { options: c.options } : {}) });
    const pod = makePod({ uid: 'fakePod', containers: [{ name: 'fakeContainer', cpu: c.request, ...(c.limit ? { limit: c.limit } : {}) }] });
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('no container');
    expect(hintsAsData(policy.getTopologyHints(stateFor(c), pod, container))).toEqual(c.expect);
  });

  it.each(rows)('pod scope: $name', (c) => {
    const policy = policyFor({ topology: c.topology, numReserved: c.numReserved ?? 0, ...(c.options ? { options: c.options } : {}) });
    const pod = makePod({ uid: 'fakePod', containers: [{ name: 'fakeContainer', cpu: c.request, ...(c.limit ? { limit: c.limit } : {}) }] });
    expect(hintsAsData(policy.getPodTopologyHints(stateFor(c), pod))).toEqual(c.expect);
  });

  it('pod scope counts CPUs already assigned to some containers of the pod', () => {
    const policy = policyFor({ topology: 'cpu-dual-socket-ht-contiguous', numReserved: 0 });
    const pod = makePod({ uid: 'p', containers: [{ name: 'a', cpu: '2' }, { name: 'b', cpu: '2' }] });
    // a holds 2 CPUs of NUMA 0, so every hint must include NUMA 0, even though NUMA 1 alone has room.
    const state = stateFor({ defaultCpuSet: '1-5,9-11', assignments: { p: { a: '0,6' } } });
    expect(hintsAsData(policy.getPodTopologyHints(state, pod))).toEqual([[[0], true], [[0, 1], false]]);
    // With one free CPU left on NUMA 0, only both nodes together can hold the pod.
    const tight = stateFor({ defaultCpuSet: '1,3-5,9-11', assignments: { p: { a: '0,6' } } });
    expect(hintsAsData(policy.getPodTopologyHints(tight, pod))).toEqual([[[0, 1], false]]);
  });
});

describe('StaticPolicy.podGuaranteedCPUs', () => {
  const c = (cpu: string, restartPolicy?: 'Always') => ({ name: `c${Math.random()}`, cpu, ...(restartPolicy ? { restartPolicy } : {}) });
  const policy = new StaticPolicy(loadTopology('cpu-single-socket-ht'), 0, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
  it.each([
    ['TestCase01: if requestedCPU == 0, Pod is not Guaranteed Qos', [c('0')], [c('0')], 0],
    ['TestCase02: if requestedCPU == 0, Pod is not Guaranteed Qos', [c('0')], [c('2')], 0],
    ['TestCase03: if requestedCPU == 0, Pod is not Guaranteed Qos', [c('2')], [c('0')], 0],
    ['TestCase04: Guaranteed Pod requests 2 CPUs', [c('2')], [c('2')], 2],
    ['TestCase05: Guaranteed Pod requests 5 CPUs', [c('5')], [c('5')], 5],
    ['TestCase06: app containers request more than init containers', [c('2')], [c('5')], 5],
    ['TestCase07: init containers request more than app containers', [c('5')], [c('2')], 5],
    ['TestCase08: sum of CPUs requested by multiple containers', [c('2'), c('4')], [c('2'), c('4')], 6],
    ['TestCase09: restartable init container + regular container', [c('1', 'Always')], [c('1')], 2],
    ['TestCase10: multiple restartable init containers', [c('5'), c('1', 'Always'), c('2', 'Always'), c('3', 'Always')], [c('1')], 7],
    ['TestCase11: multiple restartable and regular init containers', [c('5'), c('1', 'Always'), c('2', 'Always'), c('5'), c('3', 'Always')], [c('1')], 8],
    ['TestCase12: restartable init, regular init and regular container', [c('10', 'Always'), c('200')], [c('100')], 210],
  ])('%s', (_name, init, containers, expected) => {
    expect(policy.podGuaranteedCPUs(makePod({ uid: 'p', init, containers }))).toBe(expected);
  });
});

/** Upstream's generateCPUTopologyHints, restated: every set of NUMA nodes, by size then ids (tests only). */
function upstreamCPUHints(policy: StaticPolicy, topo: CPUTopology, available: CPUSet, reusable: CPUSet, request: number): [number[], boolean][] {
  let minAffinitySize = topo.numaNodes.length;
  const hints: NUMAMask[] = [];
  forEachMask(topo.numaNodes, (mask) => {
    const ids = maskIds(mask);
    if (topo.cpusInNUMANodes(ids).size >= request && ids.length < minAffinitySize) minAffinitySize = ids.length;
    if ([...reusable].some((cpu) => !ids.includes(topo.info(cpu).numa))) return;
    const matching = reusable.size + [...available].filter((cpu) => ids.includes(topo.info(cpu).numa)).length;
    if (matching >= request) hints.push(mask);
  });
  const socketsNeeded = (): number => {
    const perSocket = Math.floor(topo.numNUMANodes / topo.numSockets);
    return Math.ceil(minAffinitySize / perSocket);
  };
  return hints.map((mask) => {
    const ids = maskIds(mask);
    const aligned = policy.options.alignBySocket && topo.socketsInNUMANodes(ids).length === socketsNeeded();
    return [ids, aligned || ids.length === minAffinitySize];
  });
}


describe('StaticPolicy topology hints past 8 NUMA nodes', () => {
  const asData = (hints: TopologyHint[]): [number[], boolean][] => hints.map((h) => [maskIds(h.numaAffinity ?? 0n), h.preferred]);

  it.each([
    ['cpu-dual-socket-ht', false],
    ['cpu-dual-socket-multi-numa-per-socket-ht-large', false],
    ['cpu-dual-socket-multi-numa-per-socket-ht-large', true],
    ['8-numa', false],
    ['8-numa', true],
  ])('are exactly upstream hints on %s (align-by-socket %s), whatever is free', (topology, alignBySocket) => {
    const policy = policyFor({ topology, numReserved: 0, ...(alignBySocket ? { options: { 'align-by-socket': 'true' } } : {}) });
    const topo = loadTopology(topology);
    const next = seededRandom(topology.length + (alignBySocket ? 1 : 0));
    for (let round = 0; round < 40; round++) {
      const available = CPUSet.from([...topo.all].filter(() => next() < 0.6));
      const reusable = round % 4 === 0 ? CPUSet.from([...topo.all.difference(available)].filter(() => next() < 0.1)) : CPUSet.EMPTY;
      const request = 1 + Math.floor(next() * topo.numCPUs);
      expect(asData(policy.generateCPUTopologyHints(available, reusable, request))).toEqual(upstreamCPUHints(policy, topo, available, reusable, request));
    }
  });

  it('are exactly upstream hints on a 12-node machine', () => {
    const topo = new CPUTopology(Array.from({ length: 48 }, (_, id) => ({ id, core: id, socket: Math.floor(id / 24), numa: Math.floor(id / 4) })));
    const policy = new StaticPolicy(topo, 0, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
    const next = seededRandom(12);
    for (let round = 0; round < 10; round++) {
      const available = CPUSet.from([...topo.all].filter(() => next() < 0.7));
      const request = 1 + Math.floor(next() * 20);
      expect(asData(policy.generateCPUTopologyHints(available, CPUSet.EMPTY, request))).toEqual(upstreamCPUHints(policy, topo, available, CPUSet.EMPTY, request));
    }
  });

  it('on 16 NUMA nodes: every preferred hint upstream gives, then wider ones within the budget, then all nodes', () => {
    const topo = loadTopology('16-numa');
    const policy = new StaticPolicy(topo, 0, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
    const available = topo.all.difference(CPUSet.parse('0-1,32-33'));
    const got = asData(policy.generateCPUTopologyHints(available, CPUSet.EMPTY, 3));
    const upstream = upstreamCPUHints(policy, topo, available, CPUSet.EMPTY, 3);
    expect(got.filter(([, preferred]) => preferred)).toEqual(upstream.filter(([, preferred]) => preferred));
    expect(got.filter(([, preferred]) => preferred).map(([ids]) => ids)).toEqual(Array.from({ length: 15 }, (_, i) => [i + 1]));
    // Pairs come next (120 of them; 15 + 120 + 560 triples would pass 512).
    expect(got.length).toBe(15 + 120 + 1);
    expect(got.at(-1)).toEqual([Array.from({ length: 16 }, (_, i) => i), false]);
    const everyUpstream = new Set(upstream.map(([ids]) => ids.join(',')));
    expect(got.every(([ids]) => everyUpstream.has(ids.join(',')))).toBe(true);
  });

  it.each([
    ['one node holds the request', 4, 64, [[0], true]],
    ['the request needs two nodes: cut at the budget, in upstream order', 8, HINT_MASK_BUDGET, [[0, 1], true]],
    ['the request needs 16 nodes', 64, HINT_MASK_BUDGET, [Array.from({ length: 16 }, (_, i) => i), true]],
  ] as const)('on 64 NUMA nodes, %s', (_name, request, preferred, first) => {
    const topo = loadTopology('64-numa');
    const policy = new StaticPolicy(topo, 0, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
    const got = asData(policy.generateCPUTopologyHints(topo.all, CPUSet.EMPTY, request));
    expect(got.filter(([, p]) => p).length).toBe(preferred);
    expect(got[0]).toEqual(first);
    expect(got.at(-1)).toEqual([Array.from({ length: 64 }, (_, i) => i), false]);
  });

  it('on a busy 64-node machine, finds the nodes that still have room', () => {
    const topo = loadTopology('64-numa');
    const policy = new StaticPolicy(topo, 0, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
    // Only NUMA nodes 9 and 50 have free CPUs: 3 and 2 of their 4.
    const available = CPUSet.from([...topo.cpusInNUMANode(9)].slice(0, 3).concat([...topo.cpusInNUMANode(50)].slice(0, 2)));
    // Every pair with node 9 holds 3 CPUs too (63 of them); the 1953 triples with node 9 would pass the budget.
    const three = asData(policy.generateCPUTopologyHints(available, CPUSet.EMPTY, 3));
    expect(three.slice(0, 2)).toEqual([[[9], true], [[0, 9], false]]);
    expect(three.length).toBe(1 + 63 + 1);
    expect(three.slice(1, 64).every(([ids]) => ids.length === 2 && ids.includes(9))).toBe(true);
    expect(three.at(-1)).toEqual([Array.from({ length: 64 }, (_, i) => i), false]);
    // 5 CPUs need both nodes: the pair, then the 62 triples that hold it.
    const five = asData(policy.generateCPUTopologyHints(available, CPUSet.EMPTY, 5));
    expect(five[0]).toEqual([[9, 50], true]);
    expect(five.length).toBe(1 + 62 + 1);
  });
});

describe('StaticPolicy and pod-level resources', () => {
  const topo = loadTopology('cpu-dual-socket-ht');
  const podLevel = (): Pod => {
    const pod = makePod({ uid: 'p', containers: [{ name: 'c', cpu: '2' }] });
    return { ...pod, spec: { ...pod.spec, resources: { requests: { cpu: '2', memory: '1G' }, limits: { cpu: '2', memory: '1G' } } } } as Pod;
  };

  it('gives no hints and no exclusive CPUs to a pod that sets spec.resources, as upstream with PodLevelResources on', () => {
    const policy = new StaticPolicy(topo, 1, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS);
    const state = new MemoryState(CPUSet.parse('0-11'));
    const pod = podLevel();
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('no container');
    expect(policy.getTopologyHints(state, pod, container).size).toBe(0);
    expect(policy.getPodTopologyHints(state, pod).size).toBe(0);
    policy.allocate(state, pod, container, null);
    expect(state.getCPUSet('p', 'c')).toBeUndefined();
    expect(state.defaultCPUSet().toString()).toBe('0-11');
  });

  it('pins such a pod when the gate is off', () => {
    const policy = new StaticPolicy(topo, 1, CPUSet.EMPTY, DEFAULT_STATIC_POLICY_OPTIONS, undefined, false);
    const state = new MemoryState(CPUSet.parse('0-11'));
    const pod = podLevel();
    const container = pod.spec?.containers[0];
    if (!container) throw new Error('no container');
    expect(policy.getTopologyHints(state, pod, container).get('cpu')?.length).toBeGreaterThan(0);
    policy.allocate(state, pod, container, null);
    expect(state.getCPUSet('p', 'c')?.size).toBe(2);
  });
});

/**
 * The policy's hints as it computed them before the hint search took shortcuts (tests
 * only): the same test and bound handed to the search without shortcuts, the nodes of
 * each hint counted, and minAffinitySize and socket alignment worked out per call.
 */
function hintsWithoutShortcuts(policy: StaticPolicy, topo: CPUTopology, available: CPUSet, reusable: CPUSet, request: number): [number[], boolean][] {
  const byNode = new Map(topo.numaNodes.map((n) => [n, 0]));
  for (const cpu of available) byNode.set(topo.info(cpu).numa, (byNode.get(topo.info(cpu).numa) ?? 0) + 1);
  const required = maskOf([...reusable].map((cpu) => topo.info(cpu).numa));
  const masks = simpleHintMasks({
    ids: topo.numaNodes,
    required,
    capacity: { offers: [byNode], needs: [request - reusable.size] },
    fits: (mask, ids) => (mask & required) === required && reusable.size + ids.reduce((sum, n) => sum + (byNode.get(n) ?? 0), 0) >= request,
  });
  const sizes = topo.numaNodes.map((n) => topo.cpusInNUMANode(n).length).sort((a, b) => b - a);
  let minAffinitySize = sizes.length;
  for (let i = 0, sum = 0; i < sizes.length; i++) {
    sum += sizes[i] as number;
    if (sum >= request) {
      minAffinitySize = i + 1;
      break;
    }
  }
  const perSocket = Math.floor(topo.numNUMANodes / topo.numSockets);
  const socketAligned = (ids: number[]) => perSocket > 0 && topo.socketsInNUMANodes(ids).length === Math.floor((minAffinitySize + perSocket - 1) / perSocket);
  return masks.map((mask) => {
    const ids = maskIds(mask);
    return [ids, (policy.options.alignBySocket && socketAligned(ids)) || ids.length === minAffinitySize];
  });
}

/** CPUs free on a partly filled machine: each NUMA node empty, full or in between, by a fill level drawn per case. */
function randomAvailable(topo: CPUTopology, next: () => number): CPUSet {
  const fill = next();
  const free: number[] = [];
  for (const n of topo.numaNodes) {
    const kind = next();
    const density = kind < fill * 0.6 ? 0 : kind < fill ? next() : 1;
    for (const cpu of topo.cpusInNUMANode(n)) if (next() < density) free.push(cpu);
  }
  return CPUSet.from(free);
}

describe('StaticPolicy topology hints, against the search without shortcuts', () => {
  const asData = (hints: TopologyHint[]): [number[], boolean][] => hints.map((h) => [maskIds(h.numaAffinity ?? 0n), h.preferred]);

  it.each([
    ['cpu-dual-socket-ht', false],
    ['16-numa', false],
    ['16-numa', true],
    ['64-numa', false],
    ['64-numa', true],
  ])('are the same hints on random partly filled %s machines (align-by-socket %s)', (topology, alignBySocket) => {
    const policy = policyFor({ topology, numReserved: 0, ...(alignBySocket ? { options: { 'align-by-socket': 'true' } } : {}) });
    const topo = loadTopology(topology);
    const next = seededRandom(topo.numNUMANodes * 10 + (alignBySocket ? 1 : 0));
    const perNode = Math.ceil(topo.numCPUs / topo.numNUMANodes);
    for (let round = 0; round < 120; round++) {
      const available = round % 10 === 0 ? topo.all : randomAvailable(topo, next);
      const reusable = round % 5 === 0 ? CPUSet.from([...topo.all.difference(available)].filter(() => next() < 0.05)) : CPUSet.EMPTY;
      // Mostly requests one or two nodes hold, some that need several.
      const request = 1 + Math.floor(next() * (next() < 0.7 ? 2 * perNode : Math.min(topo.numCPUs, 6 * perNode)));
      expect(asData(policy.generateCPUTopologyHints(available, reusable, request)), `round ${round}`).toEqual(
        hintsWithoutShortcuts(policy, topo, available, reusable, request),
      );
    }
  });

  it.each(['cpu-dual-socket-ht-96', '16-numa', '64-numa'])('container hints from the shared pool, less the reserved CPUs, on %s', (topology) => {
    const policy = policyFor({ topology, reserved: '0-1' });
    const topo = loadTopology(topology);
    const next = seededRandom(topo.numNUMANodes);
    for (let round = 0; round < 40; round++) {
      const available = randomAvailable(topo, next).difference(policy.reserved);
      const state = stateFor({ defaultCpuSet: available.union(policy.reserved).toString() });
      const request = 1 + Math.floor(next() * 8);
      const pod = makePod({ uid: `p${round}`, containers: [{ name: 'c', cpu: String(request) }] });
      const container = pod.spec?.containers[0];
      if (!container) throw new Error('no container');
      expect(hintsAsData(policy.getTopologyHints(state, pod, container)), `round ${round}`).toEqual(
        hintsWithoutShortcuts(policy, topo, available, CPUSet.EMPTY, request),
      );
    }
  });
});
