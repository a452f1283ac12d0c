import { maskOf, type MachineInfo, type Pod, type TopologyHint } from '@kernelet/sdk/common';
import { seededRandom } from '@kernelet/sdk/testing';
import { describe, expect, it } from 'vitest';

import { loadMachine, quietLogger, toAssignments, toMachineState, toPod, type CompactContainer } from '../fixtures.test-support.js';
import { AllocationError } from '../policy/policy.js';
import { StaticPolicy } from '../policy/policy-static.js';
import { CheckpointRenderer, type CheckpointContent } from './checkpoint-renderer.js';
import { referenceSerializeCheckpoint } from './checkpoint-reference.test-support.js';
import { parseCheckpoint, serializeCheckpoint } from './checkpoint-state.js';
import {
  MEMORY,
  MemoryState,
  cloneAssignments,
  cloneMachineState,
  type Block,
  type ContainerMemoryAssignments,
  type MemoryTable,
  type NUMANodeMap,
  type NUMANodeState,
  type ReadonlyContainerMemoryAssignments,
  type ReadonlyNUMANodeMap,
} from './memory-state.js';

/** The reference text, from copies, so nothing the renderer keeps can leak into it. */
function reference(policyName: string, machineState: ReadonlyNUMANodeMap, entries: ReadonlyContainerMemoryAssignments): string {
  return referenceSerializeCheckpoint({ policyName, machineState: cloneMachineState(machineState), entries: cloneAssignments(entries) });
}

/** Names that exercise escaping and Go's bytewise order: HTML characters, digits, non-ASCII, characters past U+FFFF. */
const NAME_PARTS = ['a', 'b', 'Z', '0', '10', '2', '-', '<', '>', '&', 'é', '\u2028', '\u{1f600}', '\uffff', 'pod', '"'];

function randomName(random: () => number): string {
  let name = '';
  const length = 1 + Math.floor(random() * 3);
  for (let i = 0; i < length; i++) name += NAME_PARTS[Math.floor(random() * NAME_PARTS.length)];
  return name;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

const MACHINES: [string, string[]][] = [
  ['mem-dual-numa', ['256Mi', '1Gi', '20Gi', '70Gi']],
  ['16-numa', ['256Mi', '1Gi', '3Gi', '12Gi']],
  ['64-numa', ['256Mi', '1Gi', '3Gi', '12Gi', '20Gi']],
];

function staticPolicy(machine: MachineInfo): StaticPolicy {
  return new StaticPolicy({ machine, reserved: new Map([[0, new Map([[MEMORY, 600 * 1024 ** 2]])]]), featureGates: {}, logger: quietLogger });
}

/** A Guaranteed pod of one or two containers, sometimes after a regular init container (whose memory the others reuse). */
function randomPod(random: () => number, sizes: readonly string[], hugepages: boolean): Pod {
  const container = (name: string): CompactContainer => {
    const requests: Record<string, string> = { cpu: '1', memory: pick(random, sizes) };
    if (hugepages && random() < 0.4) requests['hugepages-1Gi'] = pick(random, ['1Gi', '2Gi']);
    if (hugepages && random() < 0.3) requests['hugepages-2Mi'] = pick(random, ['2Mi', '64Mi']);
    return { name, requests };
  };
  const names = new Set<string>();
  while (names.size < 1 + Math.floor(random() * 2)) names.add(randomName(random));
  const [first, ...rest] = [...names];
  return toPod({
    uid: randomName(random) + randomName(random),
    containers: [first, ...rest].map((n) => container(n as string)),
    ...(random() < 0.3 ? { initContainers: [container('init')] } : {}),
  });
}

function randomHint(random: () => number, policy: StaticPolicy, state: MemoryState, pod: Pod, name: string, nodes: number): TopologyHint {
  const roll = random();
  if (roll < 0.15) return { numaAffinity: null, preferred: false };
  if (roll < 0.25) return { numaAffinity: maskOf([Math.floor(random() * nodes)]), preferred: true };
  const container = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);
  const hints = container ? policy.topologyHints(state, pod, container).get(MEMORY) ?? [] : [];
  return hints.length > 0 ? pick(random, hints) : { numaAffinity: null, preferred: false };
}

describe('CheckpointRenderer', () => {
  it.each(MACHINES.flatMap(([machine, sizes]) => [1, 2].map((seed) => [machine, seed, sizes] as const)))(
    'writes what the plain rendering writes, byte for byte, through random allocations and removals (%s, seed %i)',
    (machineName, seed, sizes) => {
      const random = seededRandom(seed);
      const machine = loadMachine(machineName);
      const hugepages = machine.numaNodes.some((n) => n.hugepages.size > 0);
      const policy = staticPolicy(machine);
      const state = new MemoryState(policy.initialMachineState());
      const renderer = new CheckpointRenderer();
      const check = (): void => {
        const content: CheckpointContent = { policyName: 'Static', machineState: state.machineState(), entries: state.assignments() };
        const text = renderer.render(content);
        expect(text).toBe(reference('Static', state.machineState(), state.assignments()));
        expect(parseCheckpoint(text, 'memory_manager_state').entries.size).toBe(state.assignments().size);
      };
      check();
      let placed = 0;
      for (let step = 0; step < 150; step++) {
        const held = [...state.assignments()].flatMap(([uid, containers]) => [...containers.keys()].map((name) => [uid, name] as const));
        if (held.length > 0 && random() < 0.45) {
          const [uid, name] = pick(random, held);
          policy.removeContainer(state, uid, name);
        } else {
          const pod = randomPod(random, sizes, hugepages);
          // An allocation whose state write failed is undone, as the manager does.
          const undone = random() < 0.1;
          if (undone) state.recordUndo();
          const before = reference('Static', state.machineState(), state.assignments());
          for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
            try {
              policy.allocate(state, pod, c, randomHint(random, policy, state, pod, c.name, machine.numaNodes.length));
              placed++;
            } catch (err) {
              if (!(err instanceof AllocationError)) throw err;
            }
          }
          if (undone) {
            state.undo();
            expect(reference('Static', state.machineState(), state.assignments())).toBe(before);
          }
        }
        // Sometimes several operations go into one write (a write failed and the next one catches up).
        if (random() < 0.8) check();
      }
      check();
      expect(placed).toBeGreaterThan(20);
    },
  );

  it('renders a fresh checkpoint as the plain rendering does, for any policy name', () => {
    const machineState = toMachineState({
      '0': { cells: [0, 1], assignments: 2, memory: ['64Gi', '3Gi', '56Gi', '1Gi', '55Gi'], 'hugepages-1Gi': ['4Gi', '0', '4Gi', '1Gi', '3Gi'] },
      '1': { cells: [0, 1], assignments: 2, memory: ['64Gi', '2148Mi', '59244Mi', '0', '59244Mi'], 'hugepages-1Gi': ['4Gi', '0', '4Gi', '1Gi', '3Gi'] },
      '10': { cells: [10], memory: ['1Gi', '0', '1Gi', '0', '1Gi'] },
      '2': { cells: [], memory: ['1Gi', '0', '1Gi', '0', '1Gi'] },
    });
    const entries = toAssignments({ 'u<1>': { app: [['memory', [0, 1], '1Gi'], ['hugepages-1Gi', [0, 1], '2Gi']], '<init>': [] }, '10': {}, '2': { c: [['memory', [2], '1Gi']] } });
    for (const policyName of ['Static', 'None', 'st<a>tic', '']) {
      expect(serializeCheckpoint({ policyName, machineState, entries })).toBe(reference(policyName, machineState, entries));
      expect(serializeCheckpoint({ policyName, machineState: new Map(), entries: new Map() })).toBe(reference(policyName, new Map(), new Map()));
    }
  });

  it('follows nodes and pods that come and go between two renders, the count staying the same', () => {
    const renderer = new CheckpointRenderer();
    const node = (id: number) => ({ cells: [id], memory: ['1Gi', '0', '1Gi', '0', '1Gi'] as [string, string, string, string, string] });
    const first = { machineState: toMachineState({ '0': node(0), '2': node(2), '10': node(10) }), entries: toAssignments({ a: { c: [['memory', [0], '1Gi']] } }) };
    const second = { machineState: toMachineState({ '0': node(0), '9': node(9), '10': node(10) }), entries: toAssignments({ b: { c: [['memory', [9], '1Gi']] } }) };
    for (const { machineState, entries } of [first, second, first]) {
      expect(renderer.render({ policyName: 'Static', machineState, entries })).toBe(reference('Static', machineState, entries));
    }
  });

  it('renders a node or a pod again when any one value it was rendered from changes', () => {
    const machineState = toMachineState({
      '0': { cells: [0, 1], assignments: 2, memory: ['8Gi', '1Gi', '7Gi', '2Gi', '5Gi'], 'hugepages-1Gi': ['4Gi', '0', '4Gi', '1Gi', '3Gi'] },
      '1': { cells: [0, 1], assignments: 1, memory: ['8Gi', '0', '8Gi', '1Gi', '7Gi'] },
    });
    const entries = toAssignments({ pod: { app: [['memory', [0, 1], '3Gi'], ['hugepages-1Gi', [0], '1Gi']], init: [['memory', [0, 1], '1Gi']] } });
    type Edit = (m: NUMANodeMap, e: ContainerMemoryAssignments) => void;
    const node0 = (m: NUMANodeMap) => m.get(0) as NUMANodeState;
    const table = (m: NUMANodeMap, type = MEMORY) => node0(m).memoryMap.get(type) as MemoryTable;
    const app = (e: ContainerMemoryAssignments) => e.get('pod')?.get('app') as Block[];
    const edits: [string, Edit][] = [
      ['numberOfAssignments', (m) => void (node0(m).numberOfAssignments = 3)],
      ['cells', (m) => void (node0(m).cells = [0])],
      ['cells, same length', (m) => void (node0(m).cells = [0, 2])],
      ...(['total', 'systemReserved', 'allocatable', 'reserved', 'free'] as const).map(
        (field): [string, Edit] => [`table ${field}`, (m) => void (table(m, 'hugepages-1Gi')[field] += 1)],
      ),
      ['memory type renamed', (m) => {
        const t = table(m, 'hugepages-1Gi');
        node0(m).memoryMap.delete('hugepages-1Gi');
        node0(m).memoryMap.set('hugepages-2Mi', t);
      }],
      ['memory type added', (m) => void node0(m).memoryMap.set('hugepages-2Mi', { ...table(m) })],
      ['block size', (_m, e) => void ((app(e)[1] as Block).size -= 1)],
      ['block type', (_m, e) => void ((app(e)[1] as Block).type = 'hugepages-2Mi')],
      ['block NUMA affinity', (_m, e) => void ((app(e)[0] as Block).numaAffinity = [1, 0])],
      ['block added', (_m, e) => void app(e).push({ numaAffinity: [1], type: 'hugepages-2Mi', size: 2 })],
      ['container renamed', (_m, e) => {
        const pod = e.get('pod') as Map<string, Block[]>;
        pod.set('main', app(e));
        pod.delete('app');
      }],
    ];
    for (const [name, edit] of edits) {
      const renderer = new CheckpointRenderer();
      const m = cloneMachineState(machineState);
      const e = cloneAssignments(entries);
      renderer.render({ policyName: 'Static', machineState: m, entries: e });
      edit(m, e);
      expect(renderer.render({ policyName: 'Static', machineState: m, entries: e }), name).toBe(reference('Static', m, e));
    }
  });
});
